package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"patpolicy/db"
	"patpolicy/signin"
)

// A SignIn built without a dummy hash still spends one bcrypt of the real
// cost on an unknown login.
func TestFallbackDummyHashHasTheDefaultCost(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(fallbackDummyHash))
	if err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("fallback dummy hash cost %d, %v; want %d", cost, err, bcrypt.DefaultCost)
	}
}

// failingCounts keeps no counts: counting fails with countErr, refunding
// with refundErr.
type failingCounts struct{ countErr, refundErr error }

func (f failingCounts) CountSignIn(context.Context, time.Time, time.Duration, string, int, string, int) (time.Time, time.Duration, error) {
	return time.Time{}, 0, f.countErr
}

func (f failingCounts) RefundSignIn(context.Context, string, string, time.Time) error {
	return f.refundErr
}

// oneAccount knows mona, whose password is "right", and counts the
// sessions started.
type oneAccount struct {
	hash     []byte
	sessions int
}

func (o *oneAccount) CredentialsFor(_ context.Context, login string) (db.Credentials, error) {
	if login != "mona" {
		return db.Credentials{}, db.ErrNotFound
	}
	return db.Credentials{User: db.User{ID: 7, Login: "mona"}, PasswordHash: string(o.hash)}, nil
}

func (o *oneAccount) StartSession(context.Context, db.NewSession) error { o.sessions++; return nil }
func (o *oneAccount) EndSession(context.Context, []byte) error          { return nil }

// When the sign-in counts cannot be kept, the sign-in fails with the
// store's error (the server answers it as an error page) and no session
// starts: a failing database never lifts the limit, and a success whose
// attempt cannot be taken back is not signed in either.
func TestSignInFailsWhenTheCountsFail(t *testing.T) {
	broken := errors.New("database is gone")
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		counts failingCounts
	}{
		{"counting", failingCounts{countErr: broken}},
		{"taking back a success", failingCounts{refundErr: broken}},
	} {
		store := &oneAccount{hash: hash}
		h := SignIn{Store: store, DummyHash: hash, Limiter: signin.NewLimiter(tc.counts, signin.DefaultLimits(), nil)}
		form := url.Values{"login": {"mona"}, "password": {"right"}}
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		if err := h.Login(c); !errors.Is(err, broken) {
			t.Errorf("%s fails: Login = %v, want the store's error", tc.name, err)
		}
		if store.sessions != 0 {
			t.Errorf("%s fails: %d sessions started", tc.name, store.sessions)
		}
	}
}
