package db

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPageWindow(t *testing.T) {
	for _, tc := range []struct {
		page, per, limit, offset int
		ok                       bool
	}{
		{0, 0, 30, 0, true}, {1, 30, 30, 0, true}, {3, 7, 7, 14, true}, {-1, 500, 100, 0, true},
		{math.MaxInt, 100, 100, 0, false}, {math.MaxInt/100 + 1, 100, 100, math.MaxInt / 100 * 100, true},
	} {
		limit, offset, ok := pageWindow(tc.page, tc.per)
		if limit != tc.limit || offset != tc.offset || ok != tc.ok {
			t.Errorf("pageWindow(%d, %d) = %d, %d, %v; want %d, %d, %v", tc.page, tc.per, limit, offset, ok, tc.limit, tc.offset, tc.ok)
		}
	}
}

// A Store method's error names the operation, outer first when one method's
// error comes from another, and still matches its cause.
func TestErrorsNameTheOperation(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	_, err := s.OrgByLogin(ctx, "nobody")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("OrgByLogin(nobody) = %v, want ErrNotFound", err)
	}
	if got, want := err.Error(), "db: org by login: not found"; got != want {
		t.Errorf("OrgByLogin(nobody) error %q, want %q", got, want)
	}
	_, err = s.OrgAccessOf(ctx, "nobody")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("OrgAccessOf(nobody) = %v, want ErrNotFound", err)
	}
	if got, want := err.Error(), "db: org access of: org by login: not found"; got != want {
		t.Errorf("OrgAccessOf(nobody) error %q, want %q", got, want)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.FlushLastUses(cancelled); err != nil {
		t.Fatalf("FlushLastUses with nothing noted: %v", err)
	}
	s.TouchToken(1, time.Now())
	if err := s.FlushLastUses(cancelled); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "db: flush last uses: ") {
		t.Errorf("FlushLastUses on a cancelled context: %v, want context.Canceled named by its operation", err)
	}
}
