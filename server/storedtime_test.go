package server_test

import (
	"context"
	"net/http"
	"testing"

	"patpolicy/db"
	"patpolicy/db/dbtest"

	"patpolicy/policy"
)

// A token whose stored expiry cannot be read is expired: the API refuses it
// as bad credentials and its owner's pages say Expired, where reading the
// column as "no expiration" would have let it work for ever.
func TestUnreadableExpiryCountsAsExpired(t *testing.T) {
	path := dbtest.Location(t)
	a := newAppAt(t, path)
	classic := a.newClassic("mona", "garbled-classic", 30, "repo")
	fine := a.newFineGrained("mona", "garbled-fine", fgSpec{Days: 30})

	// Nothing the product writes looks like this: damage the column with
	// SQL, on the same database file, before anything reads the tokens.
	raw, err := db.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(context.Background(),
		`UPDATE tokens SET expires_at = 'not a time' WHERE name IN ('garbled-classic', 'garbled-fine')`); err != nil {
		t.Fatal(err)
	}

	for kind, secret := range map[string]string{"classic": classic, "fine-grained": fine} {
		r := a.api(http.MethodGet, "/user", secret, nil).want(http.StatusUnauthorized)
		if r.message() != policy.MsgBadCredentials {
			t.Errorf("%s: refused with %q", kind, r.message())
		}
	}
	mona := a.as("mona")
	mona.get("/settings/tokens").status(http.StatusOK).contains(".list-row", "Expired")
	mona.get("/settings/personal-access-tokens").status(http.StatusOK).contains(".list-row", "Expired")
	for _, name := range []string{"garbled-classic", "garbled-fine"} {
		if tok := a.token("mona", name); tok.ExpiresAt.IsZero() {
			t.Errorf("%s: an unreadable expiry reads as never expiring", name)
		}
	}
}
