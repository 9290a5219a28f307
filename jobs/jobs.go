// Package jobs runs background work: each job is run once every interval,
// at the time its clock gives, until the context ends. A job must do a
// bounded amount of work per run and keep nothing in memory between runs
// (what it has done is in the database), so that several instances may run
// it at once and a restart loses nothing.
package jobs

import (
	"context"
	"time"
)

// Job is one run of some work at now.
type Job func(ctx context.Context, now time.Time) error

// Every runs job at once, then every interval, until ctx ends; an error is
// reported to onError and the next run comes as usual. A run in progress
// when ctx ends is left to finish (its context is ctx: the store's
// transactions end with it). It returns when the last run has.
func Every(ctx context.Context, interval time.Duration, now func() time.Time, onError func(error), job Job) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := job(ctx, now()); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// A tick that came with the stop runs nothing.
			if ctx.Err() != nil {
				return
			}
		}
	}
}
