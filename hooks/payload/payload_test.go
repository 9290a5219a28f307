package payload

import (
	"encoding/json"
	"testing"
	"time"

	"patpolicy/policy"
)

func TestBuildTokenEvent(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	body, err := Build(Facts{Event: EventToken, Action: "revoked", Now: now, Base: "https://p.example",
		Org: Account{ID: 1, Login: "octo-org"}, Sender: Account{ID: 5, Login: "octo-owner"},
		Token: Token{ID: 7, GrantID: 3, Name: "deploy", Owner: Account{ID: 2, Login: "mona"}, Status: policy.GrantRevoked,
			Selection: policy.SelectAll, ExpiresAt: now.Add(-time.Hour), Permissions: map[string]policy.Level{"members": policy.LevelRead}}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Action string
		Token  struct {
			ID                  int64
			TokenID             int64  `json:"token_id"`
			Status              string `json:"status"`
			TokenExpired        bool   `json:"token_expired"`
			RepositorySelection string `json:"repository_selection"`
			Permissions         Permissions
			Owner               SimpleUser
		} `json:"personal_access_token"`
		Organization struct{ Login, HooksURL string } `json:"organization"`
		Sender       SimpleUser
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	tk := got.Token
	if got.Action != "revoked" || tk.ID != 3 || tk.TokenID != 7 || tk.Status != "revoked" || !tk.TokenExpired ||
		tk.RepositorySelection != "all" || tk.Permissions.Organization["members"] != "read" || tk.Owner.Login != "mona" ||
		tk.Owner.URL != "https://p.example/api/v3/users/mona" || got.Sender.Login != "octo-owner" || got.Organization.Login != "octo-org" {
		t.Errorf("body %s", body)
	}
}

func TestDeliveryStatus(t *testing.T) {
	for _, tc := range []struct {
		attempts, code int
		err, want      string
	}{
		{0, 0, "", "Pending"},
		{1, 0, "", "Pending"},
		{1, 204, "", "OK"},
		{2, 500, "", "Invalid HTTP Response: 500"},
		{1, 302, "", "Invalid HTTP Response: 302"},
		{3, 0, "dial tcp: connection refused", "dial tcp: connection refused"},
	} {
		if got := DeliveryStatus(tc.attempts, tc.code, tc.err); got != tc.want {
			t.Errorf("DeliveryStatus(%d, %d, %q) = %q, want %q", tc.attempts, tc.code, tc.err, got, tc.want)
		}
	}
}

// A change nobody signed in made is sent by patpolicy itself, as a bot.
func TestSenderOfARuleIsABot(t *testing.T) {
	body, err := Build(Facts{Event: EventToken, Action: "expiring", Token: Token{ID: 7, Name: "soon"},
		Org: Account{ID: 1, Login: "octo-org"}, Now: time.Now(), Base: "http://x"})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Sender struct {
			Login, Type string
		} `json:"sender"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Sender.Login != policy.RuleActor || got.Sender.Type != "Bot" {
		t.Errorf("sender %+v, want %s of type Bot", got.Sender, policy.RuleActor)
	}
}
