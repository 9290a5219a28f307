package handlers_test

import (
	"net/http"
	"slices"
	"testing"

	"patpolicy/policy"
)

// These tests drive the API the way GitHub's own clients (gh, Octokit,
// go-github) call it, where they differ from a hand-written call.

func TestAPIPagingZeroMeansTheDefault(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	a.addRequest("mona", "octo-org", "third", nil)
	var want, got []admGrant
	a.api(http.MethodGet, admReqs, owner, nil).want(http.StatusOK).decode(&want)
	for _, q := range []string{"page=0", "per_page=0", "page=0&per_page=0"} {
		a.api(http.MethodGet, admReqs+"?"+q, owner, nil).want(http.StatusOK).decode(&got)
		if !slices.Equal(admNames(got), admNames(want)) {
			t.Errorf("%s: %v, want the first page of 30 %v", q, admNames(got), admNames(want))
		}
	}
}

func TestPolicyAPIIfNoneMatchAnswersNotModified(t *testing.T) {
	a := newApp(t)
	read := polAdmin(a, "policy-read", policy.LevelRead)
	ent := polEntToken(a)
	for _, tc := range []struct{ path, token string }{{polOrg, read}, {polEnt, ent}} {
		first := polDo(a, http.MethodGet, tc.path, tc.token, nil, "").want(http.StatusOK)
		tag := first.Header.Get("ETag")
		h := http.Header{"Authorization": {"token " + tc.token}, "If-None-Match": {tag}}
		same := a.apiWith(http.MethodGet, tc.path, "", nil, h)
		if same.Status != http.StatusNotModified || len(same.Body) != 0 || same.Header.Get("ETag") != tag {
			t.Errorf("%s with If-None-Match %s: %d %q ETag %q, want an empty 304 with the ETag", tc.path, tag, same.Status, same.Body, same.Header.Get("ETag"))
		}
		h.Set("If-None-Match", `"999999"`)
		if other := a.apiWith(http.MethodGet, tc.path, "", nil, h); other.Status != http.StatusOK || string(other.Body) != string(first.Body) {
			t.Errorf("%s with another version's tag: %d, want 200 and the policy", tc.path, other.Status)
		}
	}
}

func TestAdminAPIAcceptsCommaJoinedArrayFilters(t *testing.T) {
	a := newApp(t)
	owner := admAdminToken(a)
	deployTok, ciTok := a.tokenID("mona", "deploy-bot"), a.tokenID("hubot", "ci-reader")
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"owner=mona,hubot", []string{"ci-reader", "deploy-bot"}},
		{"owner=mona", []string{"deploy-bot"}},
		{"owner[]=mona&owner[]=hubot", []string{"ci-reader", "deploy-bot"}},
		{"token_id=" + deployTok + "," + ciTok, []string{"ci-reader", "deploy-bot"}},
		{"token_id=" + deployTok, []string{"deploy-bot"}},
		{"token_id[]=" + deployTok + "&token_id[]=" + ciTok, []string{"ci-reader", "deploy-bot"}},
	} {
		var got []admGrant
		a.api(http.MethodGet, admReqs+"?"+tc.query, owner, nil).want(http.StatusOK).decode(&got)
		if !slices.Equal(admNames(got), tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, admNames(got), tc.want)
		}
	}
	// The limits count the items, however they are sent.
	res := a.api(http.MethodGet, admReqs+"?owner=a,b,c,d,e,f,g,h,i,j,k", owner, nil).want(http.StatusUnprocessableEntity)
	if f := admFields(res); !slices.Equal(f, []string{"owner"}) {
		t.Errorf("eleven comma-joined owners: 422 names %v", f)
	}
}
