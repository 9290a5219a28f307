package main

import (
	"bytes"
	"context"
	"net/url"
	"reflect"
	"testing"

	"github.com/a-h/templ"

	"patpolicy/views"
)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFormValuesLikeABrowser(t *testing.T) {
	page := `<form method="post" action="/logout"><input type="hidden" name="_csrf" value="tok"></form>
<form method="post" action="/x?owner=a&amp;b=c" novalidate>
 <input type="hidden" name="_csrf" value="tok"/>
 <input type="hidden" name="version" value="7"/>
 <input type="radio" name="fine" value="allow" checked/>
 <input type="radio" name="fine" value="restrict"/>
 <input type="radio" name="locked" value="a" checked disabled/>
 <input type="checkbox" name="must_expire" value="on"/>
 <input type="checkbox" name="exempt" checked/>
 <input type="number" name="days" value=""/>
 <input type="text" name="note" value="a &amp; b &quot;c&quot;"/>
 <select name="s1"><option value="">Any</option><option value="b" selected>B</option></select>
 <select name="s2"><option value="first">F</option><option value="second">S</option></select>
 <textarea name="why" rows="2">x &lt; y</textarea>
 <button type="submit" name="nav" value="go">Go</button>
 <input type="submit" name="sub" value="Save"/>
</form>
<input type="hidden" name="outside" value="no"/>`
	got, err := formValues(page, "/x")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"_csrf": {"tok"}, "version": {"7"}, "fine": {"allow"}, "exempt": {"on"}, "days": {""},
		"note": {`a & b "c"`}, "s1": {"b"}, "s2": {"first"}, "why": {"x < y"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("formValues:\n got %v\nwant %v", got, want)
	}
	if _, err := formValues(page, "/nowhere"); err == nil {
		t.Error("a missing form is not an error")
	}
}

func TestSettingsFormOfTheRealView(t *testing.T) {
	const action = "/organizations/scale-org-01/settings/personal-access-tokens"
	form := views.OrgForm(action, 42, views.OrgPolicyValues{
		FineGrained: "allow", Approval: "required", Classic: "restrict", FineGrainedExpire: true, FineGrainedDays: "90",
	})
	page := render(t, views.PATSettingsView(views.Chrome{Title: "t", User: "scale-owner", CSRF: "csrf-1"},
		views.PATSettingsPage{Nav: views.SettingsNav{OrgLogin: "scale-org-01", Current: action}, Form: form}))
	got, err := formValues(page, action)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"_csrf": "csrf-1", "version": "42", "fine_grained_access": "allow", "approval": "required",
		"classic_access": "restrict", "fine_grained_max_lifetime_days_expires": "on",
		"fine_grained_max_lifetime_days_days": "90", saveDays: "",
	} {
		if vs, ok := got[k]; !ok || vs[0] != v {
			t.Errorf("%s = %q (present %v), want %q", k, vs, ok, v)
		}
	}
	if got.Has(saveExpires) {
		t.Errorf("unchecked %s submitted", saveExpires)
	}
	if tok, err := csrfToken(page); err != nil || tok != "csrf-1" {
		t.Errorf("csrfToken = %q, %v", tok, err)
	}
}

func TestQueuePageOfTheRealView(t *testing.T) {
	opts := func(vs ...string) []views.Option {
		var out []views.Option
		for _, v := range vs {
			out = append(out, views.Option{Value: v, Label: v})
		}
		return out
	}
	base := "/organizations/scale-org-01/settings/personal-access-token-requests"
	page := render(t, views.GrantListView(views.Chrome{Title: "t", User: "scale-owner", CSRF: "c"}, views.GrantListPage{
		Nav: views.SettingsNav{OrgLogin: "scale-org-01", Current: base}, Pending: true, Heading: "Pending requests",
		BaseURL: base, Action: base + "?owner=scale-user-00002",
		Owners: opts("", "scale-owner", "scale-user-00001", "scale-user-00002"), Repos: opts("", "org-01-api", "org-01-web"),
		Permissions: opts("", "contents", "metadata"),
		Rows:        []views.GrantRow{{ID: "101", Name: "deploy <a>", URL: base + "/101"}, {ID: "99", Name: "ci", URL: base + "/99"}},
		OlderURL:    base + "?before=99&owner=scale-user-00002",
	}))
	if got, want := grantRows(page), []row{{"101", "deploy <a>"}, {"99", "ci"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("grantRows = %v, want %v", got, want)
	}
	if got, want := selectOptions(page, "owner"), []string{"", "scale-owner", "scale-user-00001", "scale-user-00002"}; !reflect.DeepEqual(got, want) {
		t.Errorf("owners = %v, want %v", got, want)
	}
	if got, want := selectOptions(page, "permission"), []string{"", "contents", "metadata"}; !reflect.DeepEqual(got, want) {
		t.Errorf("permissions = %v, want %v", got, want)
	}
	if got := linksWithPrefix(page, base+"?"); len(got) != 1 || got[0] != base+"?before=99&owner=scale-user-00002" {
		t.Errorf("next page links = %v", got)
	}
}

func TestNewTokenSecretOfTheRealView(t *testing.T) {
	page := render(t, views.TokenView(views.Chrome{Title: "t", User: "scale-user-00001", CSRF: "c"}, views.TokenPage{
		Name: "loadgen-1", Owner: "scale-org-01", Status: views.Status{Label: "Pending", Class: "pending"},
		NewToken: "github_pat_abc_123", ListURL: "/settings/personal-access-tokens", DeleteURL: "/settings/personal-access-tokens/5/delete",
	}))
	if got, ok := inputValue(page, "id", "new-token"); !ok || got != "github_pat_abc_123" {
		t.Errorf("secret = %q, %v", got, ok)
	}
}

func TestLinksAndTags(t *testing.T) {
	page := `<ul><li>scale-org-01 <a href="/organizations/scale-org-01/settings/profile">Settings</a></li>
<li><a class="x" href='/organizations/scale-org-02/settings/profile'>Settings</a></li><abbr title="x">y</abbr>
<li><a href="/organizations/scale-org-01/settings/profile">again</a></li><a href=/other>o</a></ul>`
	got := linksWithPrefix(page, "/organizations/scale-org-")
	want := []string{"/organizations/scale-org-01/settings/profile", "/organizations/scale-org-02/settings/profile"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links = %v, want %v", got, want)
	}
	if got := linksWithPrefix(page, "/other"); len(got) != 1 {
		t.Errorf("unquoted href: %v", got)
	}
	if n := len(tags(`<input name="a"`)); n != 0 {
		t.Errorf("an unterminated tag gave %d tags", n)
	}
}

func TestPageProblem(t *testing.T) {
	page := `<p class="field-error" id="name-error">Enter a name.</p><div class="flash" role="alert">Not saved.</div>`
	if got := pageProblem(page); got != "Enter a name.; Not saved." {
		t.Errorf("pageProblem = %q", got)
	}
}
