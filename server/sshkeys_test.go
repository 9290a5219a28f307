package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// createdSecret is the secret a token page shows once, after creation.
func createdSecret(c *client, base, id string) string {
	c.t.Helper()
	secret := c.get(base + "/" + id).status(http.StatusOK).newTokenBox().Text()
	if secret == "" {
		c.t.Fatal("the new token's page does not show it")
	}
	return secret
}

// The account permission "Git SSH keys" chosen on the form is stored with
// the token and lets it add keys; left at "No access", it does not.
func TestNewTokenGitSSHKeysPermissionAddsKeys(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	form := mona.get(fgPath + "/new").status(http.StatusOK)
	var levels []string
	form.doc.Find("#perm-git_ssh_keys option").Each(func(_ int, s *goquery.Selection) { levels = append(levels, s.Text()) })
	if strings.Join(levels, "|") != "No access|Read-only|Read and write" {
		t.Errorf("Git SSH keys options %v", levels)
	}
	if got := form.selected("perm-git_ssh_keys"); got != "none" {
		t.Errorf("Git SSH keys preselected %q, want none", got)
	}

	withKeys := mona.newToken(url.Values{"name": {"key-adder"}, "repository_selection": {"public"},
		"perm_git_ssh_keys": {"write"}}).createdID(fgPath)
	a.api(http.MethodPost, "/user/keys", createdSecret(mona, fgPath, withKeys),
		map[string]string{"title": "laptop", "key": sshKeyLine(t)}).want(http.StatusCreated)
	mona.get(fgPath+"/"+withKeys).contains("main", "Git SSH keys")

	without := mona.newToken(url.Values{"name": {"no-keys"}, "repository_selection": {"public"}}).createdID(fgPath)
	a.api(http.MethodPost, "/user/keys", createdSecret(mona, fgPath, without),
		map[string]string{"title": "laptop", "key": sshKeyLine(t)}).want(http.StatusForbidden)
}

// The classic form offers the public key scopes, and write:public_key lets
// the token add keys where a token without it may not.
func TestClassicPublicKeyScopesAddKeys(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	form := mona.get(classicPath + "/new").status(http.StatusOK)
	for _, s := range []string{"admin:public_key", "write:public_key", "read:public_key"} {
		if got := form.text(`label[for="scope-` + s + `"]`); got != s {
			t.Errorf("scope checkbox %s labelled %q", s, got)
		}
	}
	_, values := form.formOf("main form")
	values.Set("note", "key-writer")
	values["scopes"] = []string{"write:public_key"}
	writer := mona.post(classicPath, values).createdID(classicPath)
	a.api(http.MethodPost, "/user/keys", createdSecret(mona, classicPath, writer),
		map[string]string{"title": "laptop", "key": sshKeyLine(t)}).want(http.StatusCreated)

	values.Set("note", "repo-only")
	values["scopes"] = []string{"repo"}
	repoOnly := mona.post(classicPath, values).createdID(classicPath)
	a.api(http.MethodPost, "/user/keys", createdSecret(mona, classicPath, repoOnly),
		map[string]string{"title": "laptop", "key": sshKeyLine(t)}).want(http.StatusForbidden)
}
