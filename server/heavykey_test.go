package server_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/server"
	"patpolicy/service"
)

// The heavy lane tells requests apart by the organization of the path,
// however its login is cased, and by who makes them: the signed-in owner
// on the site, the token's owner on the API. This is read after the access
// guard, so both are known.
func TestHeavyRequestsAreKeyedByOrganizationAndUser(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, dbtest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.SeedDemo(ctx, passwordHash(demoPassword), service.Created); err != nil {
		t.Fatal(err)
	}
	owner, err := store.CredentialsFor(ctx, "octo-owner")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := policy.GenerateToken(policy.KindClassic, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateToken(ctx, db.NewToken{UserID: owner.User.ID, Hash: policy.HashToken(secret),
		Prefix: policy.DisplayPrefix(secret), Kind: policy.KindClassic,
		Classic: policy.ClassicRequest{Note: "keys", ExpiresInDays: 30, Scopes: []string{"admin:org"}}}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var seen [][2]string
	h := server.NewSeeingHeavyKeys(testConfig(store), func(group, user string) {
		mu.Lock()
		seen = append(seen, [2]string{group, user})
		mu.Unlock()
	})
	cookies, err := signIn(h, "octo-owner")
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(owner.User.ID, 10)
	for _, tc := range []struct {
		path   string
		header http.Header
		want   [2]string
	}{
		{"/organizations/Octo-Org/settings/personal-access-token-requests", nil, [2]string{"org:octo-org", id}},
		{"/api/v3/orgs/SOLO-org/personal-access-tokens", http.Header{"Authorization": {"Bearer " + secret}}, [2]string{"org:solo-org", id}},
	} {
		seen = nil
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		for k, v := range tc.header {
			req.Header[k] = v
		}
		if tc.header == nil {
			for _, c := range cookies {
				req.AddCookie(c)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d %s", tc.path, rec.Code, rec.Body.String())
		}
		if len(seen) != 1 || seen[0] != tc.want {
			t.Errorf("GET %s: keys %q, want %q", tc.path, seen, tc.want)
		}
	}
}
