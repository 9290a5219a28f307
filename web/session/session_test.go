package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The server keeps only a key's ID: the SHA-256 of 32 random bytes that
// only the cookie holds.
func TestNewKey(t *testing.T) {
	k1, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := NewKey()
	raw, err := hex.DecodeString(k1.secret)
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q is not 32 hex-encoded bytes", k1.secret)
	}
	sum := sha256.Sum256(raw)
	if !bytes.Equal(k1.ID, sum[:]) || !bytes.Equal(idOf(k1.secret), k1.ID) {
		t.Errorf("ID %x is not the SHA-256 of the secret", k1.ID)
	}
	if k1.secret == k2.secret || bytes.Equal(k1.ID, k2.ID) {
		t.Error("two keys are the same")
	}
	for _, bad := range []string{"", "zz", hex.EncodeToString(raw[:31]), k1.secret + "00"} {
		if idOf(bad) != nil {
			t.Errorf("idOf(%q) is not nil", bad)
		}
	}
}
