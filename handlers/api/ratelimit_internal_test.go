package api

import (
	"testing"
	"time"
)

func TestAPIRateLimitWindowResetsAnHourAfterItsFirstCall(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	l := NewRateLimit(2, func() time.Time { return now })
	reset := now.Add(time.Hour)
	for i := 1; i <= 2; i++ {
		if w, ok := l.take(7); !ok || w.used != i || !w.reset.Equal(reset) {
			t.Fatalf("call %d: used %d reset %s ok %v", i, w.used, w.reset, ok)
		}
		now = now.Add(10 * time.Minute)
	}
	if w, ok := l.take(7); ok || w.used != 2 {
		t.Fatalf("third call in the hour: ok %v used %d, want refused", ok, w.used)
	}
	if _, ok := l.take(8); !ok {
		t.Fatal("another token is refused")
	}
	now = time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC)
	if w, ok := l.take(7); !ok || w.used != 1 || !w.reset.Equal(now.Add(time.Hour)) {
		t.Fatalf("at the reset: ok %v used %d reset %s, want a new window", ok, w.used, w.reset)
	}
}

func TestAPIRateLimitForgetsWindowsThatAreOver(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	l := NewRateLimit(5, func() time.Time { return now })
	for id := range int64(2000) {
		l.take(id)
	}
	now = now.Add(2 * time.Hour)
	l.take(99999)
	if n := len(l.windows); n > 1 {
		t.Fatalf("%d windows kept after they all ended, want 1", n)
	}
}
