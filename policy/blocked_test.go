package policy

import (
	"testing"
	"time"
)

func TestBlockedByPolicy(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fg := func(days int) *Credential {
		c := &Credential{Kind: KindFineGrained, OrgLogin: "o", CreatedAt: created, Grant: GrantApproved}
		if days > 0 {
			c.ExpiresAt = created.AddDate(0, 0, days)
		}
		return c
	}
	classic := func(days int) *Credential {
		c := fg(days)
		c.Kind, c.OrgLogin, c.Grant = KindClassic, "", ""
		return c
	}
	open := Effective{OptedIn: true, FineGrained: Allow, Classic: Allow}
	with := func(f func(*Effective)) Effective { e := open; f(&e); return e }
	cases := []struct {
		name    string
		tok     *Credential
		eff     Effective
		owner   bool
		blocked bool
	}{
		{"fine-grained, nothing in the way", fg(30), open, false, false},
		{"fine-grained, organization not opted in", fg(30), with(func(e *Effective) { e.OptedIn = false }), false, true},
		{"fine-grained restricted", fg(30), with(func(e *Effective) { e.FineGrained = Restrict }), false, true},
		{"fine-grained, classic restricted", fg(30), with(func(e *Effective) { e.Classic = Restrict }), false, false},
		{"fine-grained over the maximum", fg(90), with(func(e *Effective) { e.FineGrainedLifetime = 60 }), false, true},
		{"fine-grained never expiring, with a maximum", fg(0), with(func(e *Effective) { e.FineGrainedLifetime = 366 }), false, true},
		{"fine-grained at the maximum", fg(60), with(func(e *Effective) { e.FineGrainedLifetime = 60 }), false, false},
		{"fine-grained over the maximum, exempt owner", fg(90), with(func(e *Effective) { e.FineGrainedLifetime = 60; e.ExemptAdmins = true }), true, false},
		{"fine-grained over the maximum, exemption for owners only", fg(90), with(func(e *Effective) { e.FineGrainedLifetime = 60; e.ExemptAdmins = true }), false, true},
		{"classic restricted", classic(30), with(func(e *Effective) { e.Classic = Restrict }), false, true},
		{"classic, fine-grained restricted", classic(30), with(func(e *Effective) { e.FineGrained = Restrict }), false, false},
		{"classic over the classic maximum", classic(30), with(func(e *Effective) { e.ClassicLifetime = 7 }), false, true},
		{"classic, only a fine-grained maximum", classic(30), with(func(e *Effective) { e.FineGrainedLifetime = 7 }), false, false},
	}
	for _, c := range cases {
		if got := BlockedByPolicy(c.tok, c.eff, c.owner); got != c.blocked {
			t.Errorf("%s: blocked %v, want %v", c.name, got, c.blocked)
		}
	}
}
