package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"patpolicy/policy"
)

func TestSSHKeys(t *testing.T) {
	ctx := context.Background()
	d := seededTest(t)
	d.s.now = func() time.Time { return fixedNow }
	mona, hubot := d.users["mona"], d.users["hubot"]
	tok, _ := tkCreate(t, d, "mona", "", policy.TokenRequest{Name: "keys", ExpiresInDays: 30, Selection: policy.SelectAll,
		Permissions: map[string]policy.Level{"git_ssh_keys": policy.LevelWrite}})
	classic, _ := tkClassic(t, d, "mona", "keys", "admin:public_key")

	first, err := d.s.AddSSHKey(ctx, mona, tok, "laptop", "ssh-ed25519 AAAAkey0")
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == 0 || first.UserID != mona || first.TokenID != tok || first.Title != "laptop" || first.Key != "ssh-ed25519 AAAAkey0" ||
		!first.CreatedAt.Equal(fixedNow.Truncate(time.Microsecond)) {
		t.Errorf("AddSSHKey: %+v", first)
	}
	// A key is stored once, whoever adds it again.
	for _, user := range []int64{mona, hubot} {
		if _, err := d.s.AddSSHKey(ctx, user, classic, "again", "ssh-ed25519 AAAAkey0"); !errors.Is(err, ErrDuplicateKey) {
			t.Errorf("AddSSHKey of a stored key for user %d: %v, want ErrDuplicateKey", user, err)
		}
	}
	want := []SSHKey{first}
	for i := 1; i < 7; i++ {
		by := []int64{tok, classic, 0}[i%3]
		k, err := d.s.AddSSHKey(ctx, mona, by, fmt.Sprintf("key %d", i), fmt.Sprintf("ssh-ed25519 AAAAkey%d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
	}
	other, err := d.s.AddSSHKey(ctx, hubot, 0, "hubot's", "ssh-rsa AAAAhubot")
	if err != nil {
		t.Fatal(err)
	}

	page := func(user int64, page, per int) ([]SSHKey, int) {
		t.Helper()
		ks, total, err := d.s.SSHKeysOf(ctx, user, page, per)
		if err != nil {
			t.Fatal(err)
		}
		return ks, total
	}
	var all []SSHKey
	for p := 1; p <= 3; p++ {
		ks, total := page(mona, p, 3)
		if total != 7 {
			t.Errorf("page %d: total %d, want 7", p, total)
		}
		all = append(all, ks...)
	}
	if !slices.Equal(all, want) {
		t.Errorf("mona's keys oldest first:\n%+v\nwant\n%+v", all, want)
	}
	if ks, total := page(mona, 4, 3); len(ks) != 0 || total != 7 {
		t.Errorf("page past the end: %+v, total %d", ks, total)
	}
	if ks, total := page(hubot, 1, 30); !slices.Equal(ks, []SSHKey{other}) || total != 1 {
		t.Errorf("hubot's keys: %+v, total %d", ks, total)
	}

	// A key outlives the token that added it.
	if err := d.s.DeleteToken(ctx, mona, tok, tkDeleted); err != nil {
		t.Fatal(err)
	}
	got, total := page(mona, 1, 100)
	if total != 7 || len(got) != 7 {
		t.Fatalf("after deleting the token: %d keys, total %d; want 7", len(got), total)
	}
	for i, k := range got {
		w := want[i]
		if w.TokenID == tok {
			w.TokenID = 0
		}
		if k != w {
			t.Errorf("after deleting the token: key %+v, want %+v", k, w)
		}
	}
	if got[0].TokenID != 0 || got[1].TokenID != classic {
		t.Errorf("token ids after deleting one token: %d, %d", got[0].TokenID, got[1].TokenID)
	}
}
