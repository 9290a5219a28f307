package hooks

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"patpolicy/db"
)

// Store is what the worker reads and writes.
type Store interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]db.Claimed, error)
	RecordAttempt(ctx context.Context, a db.Attempt) (bool, error)
}

// Defaults of a Worker.
const (
	DefaultBatch    = 10
	DefaultLease    = 60 * time.Second
	DefaultInterval = 2 * time.Second
)

// Worker drains the store's outbox of deliveries. Each run claims a
// bounded batch in one write transaction (a lease: another worker, in
// this process or another, takes a delivery only when its lease ran out
// without an outcome), sends them outside any transaction, and records
// each outcome. Nothing is kept in memory between runs, so a restart
// loses nothing: a delivery claimed by a process that stopped is sent
// again once its lease has run out.
type Worker struct {
	Store  Store
	Sender *Sender
	// Now is the clock (time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Batch, Lease and Interval: zero takes the defaults.
	Batch    int
	Lease    time.Duration
	Interval time.Duration
}

// RunOnce claims the deliveries due at now, sends them at once and
// records their outcomes, as finished at now plus the time each took. It
// returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context, now time.Time) (int, error) {
	batch, lease := w.Batch, w.Lease
	if batch <= 0 {
		batch = DefaultBatch
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	claimed, err := w.Store.ClaimDeliveries(ctx, now, lease, batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	for i, d := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := w.Sender.Send(ctx, d)
			if w.Logger != nil && (out.StatusCode < 200 || out.StatusCode > 299) {
				w.Logger.Info("webhook delivery failed", "hook", d.HookID, "delivery", d.GUID, "attempt", d.Attempts,
					"status", out.StatusCode, "err", out.Error)
			}
			_, errs[i] = w.Store.RecordAttempt(context.WithoutCancel(ctx), db.Attempt{ID: d.ID, Claim: d.Claim,
				At: now.Add(out.Duration), StatusCode: out.StatusCode, Duration: out.Duration, Response: out.Response, Error: out.Error})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return len(claimed), err
		}
	}
	return len(claimed), nil
}

// Run runs until ctx ends: a run at once after a full batch, otherwise
// after Interval.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	batch := w.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		n, err := w.RunOnce(ctx, w.Now())
		if err != nil && ctx.Err() == nil && w.Logger != nil {
			w.Logger.Error("webhook deliveries", "err", err)
		}
		wait := interval
		if n >= batch && err == nil {
			wait = 0
		}
		timer.Reset(wait)
	}
}
