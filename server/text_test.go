package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"patpolicy/policy"
)

// A token name with a right-to-left override ("invoice‮gpj.exe" reads as
// "invoiceexe.jpg") is refused on the form with a message naming the
// character, the typed text kept, nothing created.
func TestNewTokenRefusesBidiOverrideInName(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	name := "invoice\u202egpj.exe"
	res := mona.newToken(url.Values{"name": {name}, "repository_selection": {"public"}}).status(http.StatusUnprocessableEntity)
	res.contains("#name-error", "U+202E")
	if got, _ := res.doc.Find("input#name").Attr("value"); got != name {
		t.Errorf("the refused form shows the name %q, want it as typed", got)
	}
	if _, found := a.findToken("mona", name); found {
		t.Error("a name with a right-to-left override was stored")
	}
	// The same for a zero-width space in a classic note.
	note := "lap\u200btop"
	form := mona.get(classicPath + "/new")
	_, values := form.formOf("main form")
	values.Set("note", note)
	mona.post(classicPath, values).status(http.StatusUnprocessableEntity).contains("#note-error", "U+200B")
	if _, found := a.findToken("mona", note); found {
		t.Error("a note with a zero-width space was stored")
	}
}

// Two names that look the same are the same name: one typed with a
// combining accent is refused when the user has one typed with the accented
// letter, and names are stored composed.
func TestTokenNamesThatLookTheSameAreTheSame(t *testing.T) {
	a := newApp(t)
	mona := a.as("mona")
	mona.newToken(url.Values{"name": {"caf\u00e9"}, "repository_selection": {"public"}}).createdID(fgPath)
	res := mona.newToken(url.Values{"name": {"cafe\u0301"}, "repository_selection": {"public"}}).status(http.StatusUnprocessableEntity)
	res.contains("#name-error", "already have a token named")

	mona.newToken(url.Values{"name": {"re\u0301sume\u0301"}, "repository_selection": {"public"}}).createdID(fgPath)
	if _, found := a.findToken("mona", "r\u00e9sum\u00e9"); !found {
		t.Error("a name typed with combining accents is not stored composed")
	}
}

// A classic token's note tells it apart from the user's others: a note
// already used is refused ("Note has already been taken"), the form kept,
// nothing created; another user may use it.
func TestClassicNoteAlreadyTakenIsRefused(t *testing.T) {
	a := newApp(t)
	create := func(c *client, note string) *page {
		_, values := c.get(classicPath + "/new").formOf("main form")
		values.Set("note", note)
		values["scopes"] = []string{"repo"}
		return c.post(classicPath, values)
	}
	mona := a.as("mona")
	create(mona, "laptop").createdID(classicPath)
	res := create(mona, "laptop").status(http.StatusUnprocessableEntity)
	res.contains("#note-error", "Note has already been taken")
	if got, _ := res.doc.Find("input#note").Attr("value"); got != "laptop" {
		t.Errorf("the refused form shows the note %q", got)
	}
	if res.doc.Find(`input[name="scopes"][value="repo"][checked]`).Length() != 1 {
		t.Error("the refused form lost the chosen scope")
	}
	// The same note typed decomposed is the same note.
	create(mona, "caf\u00e9").createdID(classicPath)
	create(mona, "cafe\u0301").status(http.StatusUnprocessableEntity).contains("#note-error", "Note has already been taken")
	create(a.as("hubot"), "laptop").createdID(classicPath)
}

// An owner's denial reason is text the requester reads: invisible and
// formatting characters are refused there too, on the page and in the API,
// and the request stays pending.
func TestDenyReasonRefusesInvisibleCharacters(t *testing.T) {
	a := newApp(t)
	owner := a.as("octo-owner")
	id := a.grantID("hubot", "ci-reader")
	owner.post(requestsPath+"/"+id+"/deny", url.Values{"reason": {"Too \u202ebroad"}}).
		status(http.StatusUnprocessableEntity).contains("main", "U+202E")

	n, _ := strconv.ParseInt(id, 10, 64)
	r := a.api(http.MethodPost, admReqs+"/"+id, admAdminToken(a), map[string]any{"action": "deny", "reason": "Too\u200bbroad"}).
		want(http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), "U+200B") {
		t.Errorf("the API's 422 does not name the character: %s", r.Body)
	}
	if g := a.token("hubot", "ci-reader").Grant; g.Status != policy.GrantPending || g.ID != n {
		t.Errorf("a refused denial changed the request: %+v", g)
	}
}
