package db

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMembersPageAndUserByLogin(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	org := d.orgs["octo-org"]
	// Logins in mixed case: the order is case-insensitive, as logins are.
	for _, login := range []string{"Zed", "alice", "Bob", "carol", "Dave", "erin", "Frank", "grace", "Heidi", "ivan", "Judy", "mallory"} {
		id, err := d.s.CreateUser(ctx, login, login+"@example.com", login, demoHash)
		if err != nil {
			t.Fatal(err)
		}
		d.users[login] = id
		tkAddMember(t, d, org, login, RoleMember)
	}
	all, err := d.s.MembersOf(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 15 || !slices.IsSortedFunc(all, func(a, b Member) int { return strings.Compare(strings.ToLower(a.Login), strings.ToLower(b.Login)) }) {
		t.Fatalf("MembersOf: %v", all)
	}
	for _, per := range []int{1, 4, 15, 100} {
		var got []Member
		for p := 1; ; p++ {
			ms, total, err := d.s.MembersPage(ctx, org, p, per)
			if err != nil {
				t.Fatal(err)
			}
			if total != 15 {
				t.Errorf("per %d, page %d: total %d, want 15", per, p, total)
			}
			if len(ms) > per {
				t.Errorf("per %d, page %d: %d members", per, p, len(ms))
			}
			if len(ms) == 0 {
				if want := (15 + per - 1) / per; p != want+1 {
					t.Errorf("per %d: empty page %d, want pages 1..%d full", per, p, want)
				}
				break
			}
			got = append(got, ms...)
		}
		if !slices.Equal(got, all) {
			t.Errorf("per %d: pages give %v, want %v", per, got, all)
		}
	}
	if ms, total, err := d.s.MembersPage(ctx, d.orgs["solo-org"], 1, 30); err != nil || total != 2 || len(ms) != 2 ||
		ms[0].Login != "mona" || ms[1].Login != "octo-owner" {
		t.Errorf("solo-org: %v, total %d, %v", ms, total, err)
	}

	for _, login := range []string{"mona", "MONA", "judy"} {
		id, err := d.s.UserByLogin(ctx, login)
		want := d.users[strings.ToLower(login)]
		if login == "judy" {
			want = d.users["Judy"]
		}
		if err != nil || id != want {
			t.Errorf("UserByLogin(%s) = %d, %v; want %d", login, id, err, want)
		}
	}
	for _, login := range []string{"nobody", "octo-org", "mona@example.com", ""} {
		if _, err := d.s.UserByLogin(ctx, login); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByLogin(%q): %v, want ErrNotFound", login, err)
		}
	}
}
