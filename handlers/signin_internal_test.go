package handlers

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// A SignIn built without a dummy hash still spends one bcrypt of the real
// cost on an unknown login.
func TestFallbackDummyHashHasTheDefaultCost(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(fallbackDummyHash))
	if err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("fallback dummy hash cost %d, %v; want %d", cost, err, bcrypt.DefaultCost)
	}
}
