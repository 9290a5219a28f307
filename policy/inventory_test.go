package policy

import (
	"testing"
	"time"
)

func TestInventoryStatusOf(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	created := now.AddDate(0, 0, -10)
	allow := Effective{OptedIn: true, FineGrained: Allow, Classic: Allow}
	capped := allow
	capped.FineGrainedLifetime, capped.ClassicLifetime, capped.ExemptAdmins = 30, 30, true
	fg := func(grant GrantStatus, expires time.Time) *Credential {
		return &Credential{Kind: KindFineGrained, Grant: grant, CreatedAt: created, ExpiresAt: expires}
	}
	classic := func(expires time.Time) *Credential {
		return &Credential{Kind: KindClassic, CreatedAt: created, ExpiresAt: expires}
	}
	in := func(days int) time.Time { return now.AddDate(0, 0, days) }
	for _, tc := range []struct {
		name string
		f    InventoryFacts
		eff  Effective
		want InventoryStatus
	}{
		{"approved, used yesterday", InventoryFacts{Token: fg(GrantApproved, in(20)), LastUsed: in(-1)}, allow, InventoryActive},
		{"pending", InventoryFacts{Token: fg(GrantPending, in(20))}, allow, InventoryPending},
		{"pending where restricted stays pending", InventoryFacts{Token: fg(GrantPending, in(20))}, Effective{OptedIn: true, FineGrained: Restrict}, InventoryPending},
		{"fine-grained restricted", InventoryFacts{Token: fg(GrantApproved, in(20))}, Effective{OptedIn: true, FineGrained: Restrict}, InventoryBlocked},
		{"not opted in", InventoryFacts{Token: fg(GrantApproved, in(20))}, Effective{}, InventoryBlocked},
		{"classic restricted", InventoryFacts{Token: classic(in(20))}, Effective{OptedIn: true, Classic: Restrict}, InventoryBlocked},
		{"classic above the maximum", InventoryFacts{Token: classic(in(60))}, capped, InventoryBlocked},
		{"classic never expiring, under a maximum", InventoryFacts{Token: classic(time.Time{})}, capped, InventoryBlocked},
		{"an exempt owner's long token", InventoryFacts{Token: classic(in(60)), IsOwner: true}, capped, InventoryActive},
		{"expires in 7 days", InventoryFacts{Token: fg(GrantApproved, in(7))}, allow, InventoryExpiring},
		{"expires in 8 days", InventoryFacts{Token: fg(GrantApproved, in(8))}, allow, InventoryActive},
		{"blocked before expiring soon", InventoryFacts{Token: classic(in(3))}, Effective{Classic: Restrict}, InventoryBlocked},
		{"last used 91 days ago", InventoryFacts{Token: classic(time.Time{}), LastUsed: in(-91)}, allow, InventoryInactive},
		{"last used 89 days ago", InventoryFacts{Token: classic(time.Time{}), LastUsed: in(-89)}, allow, InventoryActive},
		{"never used, made 10 days ago, limit 7", InventoryFacts{Token: classic(time.Time{}), InactiveDays: 7}, allow, InventoryInactive},
		{"expiring soon before inactive", InventoryFacts{Token: classic(in(2)), LastUsed: in(-100)}, allow, InventoryExpiring},
	} {
		if got := InventoryStatusOf(tc.f, tc.eff, now); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, s := range InventoryStatuses {
		if !s.Valid() || s.Label() == "" {
			t.Errorf("status %q has no label", s)
		}
	}
	if InventoryStatus("denied").Valid() {
		t.Error("an unknown status is valid")
	}
}
