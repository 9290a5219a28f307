package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
)

// addToken stores a fine-grained token of login for octo-org with its
// grant in status, and returns its id and secret.
func (f fixture) addToken(t *testing.T, login, name string, status policy.GrantStatus) (int64, string) {
	t.Helper()
	ctx := context.Background()
	secret, err := policy.GenerateToken(policy.KindFineGrained, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.store.OrgPolicy(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.flows().Add(ctx, db.NewToken{UserID: f.users[login], Hash: policy.HashToken(secret), Prefix: policy.DisplayPrefix(secret),
		Kind: policy.KindFineGrained, OrgID: f.org, OrgVersion: p.Version, FineGrained: policy.TokenRequest{
			Name: name, Description: "kept as it was", ExpiresInDays: 7, Justification: "Reads the API", Selection: policy.SelectAll,
			Permissions: map[string]policy.Level{policy.Metadata: policy.LevelRead, "issues": policy.LevelWrite}, Status: status}})
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

func (f fixture) flows() service.Tokens { return service.Tokens{Store: f.store, Random: rand.Reader} }

// works reports whether secret is a live token's.
func works(t *testing.T, s *db.Store, secret string) bool {
	t.Helper()
	_, err := s.TokenByHash(context.Background(), policy.HashToken(secret))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func (f fixture) actions(t *testing.T) []string {
	t.Helper()
	evs, err := f.store.AuditEvents(context.Background(), db.AuditQuery{OrgID: f.org, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

// A member's approved token in an organization that requires approval:
// the new secret works at once (the old one no longer), everything but the
// secret and the expiry is kept, and the grant waits for the owners again,
// audited and announced as a new request.
func TestRegenerateSendsAMembersTokenBackToPending(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, old := f.addToken(t, "mona", "reader", policy.GrantApproved)
	before := f.actions(t)
	r, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users["mona"], TokenID: id, Expiration: "90"})
	if err != nil {
		t.Fatal(err)
	}
	if works(t, f.store, old) || !works(t, f.store, r.Secret) || !strings.HasPrefix(r.Secret, "github_pat_") {
		t.Fatalf("old secret works %v, new secret %q works %v", works(t, f.store, old), r.Secret, works(t, f.store, r.Secret))
	}
	if r.Status != policy.GrantPending {
		t.Fatalf("status %q, want pending", r.Status)
	}
	tok, err := f.store.TokenOf(ctx, f.users["mona"], id)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "reader" || tok.Description != "kept as it was" || tok.Selection != policy.SelectAll ||
		tok.Permissions["issues"] != policy.LevelWrite || tok.Grant.Justification != "Reads the API" {
		t.Fatalf("token changed: %+v", tok)
	}
	if days := tok.ExpiresAt.Sub(tok.CreatedAt).Hours() / 24; days < 89 || days > 91 {
		t.Fatalf("expires %v after creation, want 90 days", tok.ExpiresAt.Sub(tok.CreatedAt))
	}
	if tok.Prefix != policy.DisplayPrefix(r.Secret) {
		t.Fatalf("prefix %q, want the new secret's", tok.Prefix)
	}
	page, err := f.store.ListGrants(ctx, db.GrantQuery{OrgID: f.org, Status: policy.GrantPending})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(page.Tokens, func(t db.Token) bool { return t.ID == id }) {
		t.Fatal("the token is not among the pending requests")
	}
	after := f.actions(t)
	// Newest first: the regeneration, then the request it makes.
	if got := after[:len(after)-len(before)]; !slices.Equal(got, []string{policy.ActionRequestCreated, policy.ActionRegenerated}) {
		t.Fatalf("new audit events %v", got)
	}
	notes, err := f.store.NotificationsOf(ctx, f.owner, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 || !strings.Contains(notes[0].Message, "“reader”") {
		t.Fatalf("the owner was not asked to review it: %+v", notes)
	}
}

// An owner's token needs no approval: it stays approved; a denied request
// stays denied.
func TestRegenerateKeepsWhatNeedsNoApproval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		login string
		was   policy.GrantStatus
	}{{"octo-owner", policy.GrantApproved}, {"mona", policy.GrantDenied}, {"hubot", policy.GrantPending}} {
		id, _ := f.addToken(t, c.login, "kept-"+c.login, c.was)
		before := f.actions(t)
		r, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users[c.login], TokenID: id, Expiration: "30"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != c.was {
			t.Errorf("%s's %s token: %q after regenerating", c.login, c.was, r.Status)
		}
		after := f.actions(t)
		if got := after[:len(after)-len(before)]; !slices.Equal(got, []string{policy.ActionRegenerated}) {
			t.Errorf("%s: new audit events %v", c.login, got)
		}
	}
}

// The expiration obeys the organization's maximum lifetime, as at
// creation; a refusal changes nothing. Another user's token, or a deleted
// one, is not found.
func TestRegenerateRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id, old := f.addToken(t, "mona", "limited", policy.GrantApproved)
	p, err := f.store.OrgPolicy(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	next := p.Own
	next.FineGrainedLifetime = 30
	if err := f.store.SaveOrgPolicy(ctx, f.org, f.owner, p.Version, next, policy.OrgEvents(p.Own, next), service.ApprovedAsOff); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []string{"90", "none", "12", ""} {
		_, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users["mona"], TokenID: id, Expiration: exp})
		var invalid *service.Invalid
		if !errors.As(err, &invalid) || invalid.Errors[0].Field != policy.FieldExpiration {
			t.Fatalf("expiration %q: %v", exp, err)
		}
	}
	if !works(t, f.store, old) {
		t.Fatal("a refused regeneration changed the secret")
	}
	if _, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users["hubot"], TokenID: id, Expiration: "7"}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("another user's token: %v", err)
	}
	if err := f.flows().Delete(ctx, f.users["mona"], id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users["mona"], TokenID: id, Expiration: "7"}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a deleted token: %v", err)
	}
}

// A classic token gets a new ghp_ secret with its note and scopes, and the
// organizations of its owner log the regeneration.
func TestRegenerateClassic(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	issued, err := f.flows().CreateClassic(ctx, f.users["mona"], policy.ClassicInput{Note: "laptop", Expiration: "7", Scopes: []string{"repo", "read:org"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.flows().Regenerate(ctx, service.Regeneration{UserID: f.users["mona"], TokenID: issued.ID, Expiration: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if works(t, f.store, issued.Secret) || !works(t, f.store, r.Secret) {
		t.Fatal("the old classic secret works, or the new one does not")
	}
	if _, err := policy.ParseToken(r.Secret); err != nil || !strings.HasPrefix(r.Secret, "ghp_") {
		t.Fatalf("new secret %q: %v", r.Secret, err)
	}
	tok, err := f.store.TokenOf(ctx, f.users["mona"], issued.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "laptop" || !slices.Equal(tok.Scopes, []string{"repo", "read:org"}) || !tok.ExpiresAt.IsZero() {
		t.Fatalf("token after: %+v", tok)
	}
	if got := f.actions(t); got[0] != policy.ActionRegenerated {
		t.Fatalf("octo-org's newest event %q", got[0])
	}
}

// Revoking by value deletes the tokens named among other values, tells
// their owners and logs it; the count of calls per address is shared by
// two stores on one database and starts again when its window ends.
func TestRevokeCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, fine := f.addToken(t, "mona", "leaked", policy.GrantApproved)
	_, kept := f.addToken(t, "mona", "kept", policy.GrantApproved)
	classic, err := f.flows().CreateClassic(ctx, f.users["hubot"], policy.ClassicInput{Note: "ci", Expiration: "7"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	creds := service.Credentials{Store: f.store, Now: func() time.Time { return now }}
	revoked, err := creds.Revoke(ctx, []string{"", "github_pat_nope", fine, classic.Secret, fine})
	if err != nil {
		t.Fatal(err)
	}
	if len(revoked) != 2 || works(t, f.store, fine) || works(t, f.store, classic.Secret) || !works(t, f.store, kept) {
		t.Fatalf("revoked %+v", revoked)
	}
	if got := f.actions(t); !slices.Equal(got[:2], []string{policy.ActionCredentialRevoked, policy.ActionCredentialRevoked}) {
		t.Fatalf("octo-org's newest events %v", got[:2])
	}
	for _, login := range []string{"mona", "hubot"} {
		notes, err := f.store.NotificationsOf(ctx, f.users[login], 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || !strings.Contains(notes[0].Message, "reported as exposed") {
			t.Fatalf("%s was told %+v", login, notes)
		}
	}

	other, err := db.Open(ctx, f.location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	second := service.Credentials{Store: other, Now: creds.Now}
	for i := range service.RevokeLimit {
		on := creds
		if i%2 == 1 {
			on = second
		}
		if _, ok, err := on.Count(ctx, "192.0.2.9"); err != nil || !ok {
			t.Fatalf("call %d refused: %v", i+1, err)
		}
	}
	for _, on := range []service.Credentials{creds, second} {
		if w, ok, err := on.Count(ctx, "192.0.2.9"); err != nil || ok || w.Used != service.RevokeLimit {
			t.Fatalf("call 61: ok %v, window %+v, %v", ok, w, err)
		}
	}
	if _, ok, _ := second.Count(ctx, "192.0.2.10"); !ok {
		t.Fatal("another address was refused")
	}
	now = now.Add(service.RevokeWindow)
	if w, ok, _ := second.Count(ctx, "192.0.2.9"); !ok || w.Used != 1 {
		t.Fatalf("after the window: ok %v, %+v", ok, w)
	}
}
