package jobs

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestEveryRunsAtOnceWithTheInjectedClockAndStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var runs []time.Time
	var reported []error
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Hour, func() time.Time { return at }, func(err error) { reported = append(reported, err) },
			func(_ context.Context, now time.Time) error {
				runs = append(runs, now)
				cancel()
				return errors.New("failed while stopping")
			})
	}()
	<-done
	if len(runs) != 1 || !runs[0].Equal(at) {
		t.Errorf("runs %v, want one at the injected time %v", runs, at)
	}
	if len(reported) != 0 {
		t.Errorf("an error of a run cut short by the stop was reported: %v", reported)
	}
}

func TestEveryReportsErrorsAndKeepsRunning(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var reported []error
	n := 0
	Every(ctx, time.Nanosecond, time.Now, func(err error) { reported = append(reported, err) },
		func(context.Context, time.Time) error {
			n++
			if n == 3 {
				cancel()
				return nil
			}
			return errors.New("database away")
		})
	if n != 3 || len(reported) != 2 {
		t.Errorf("%d runs, %d errors reported; want 3 runs, 2 errors", n, len(reported))
	}
}
