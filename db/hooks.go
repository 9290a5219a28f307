package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"patpolicy/hooks/payload"
	"patpolicy/policy"
)

// HookEvent is a webhook event a change brings with it: Event and Action
// as GitHub names them, about the token TokenID (and its grant). Every
// active hook of the change's organization subscribed to Event gets a
// delivery, written in the change's transaction with its body as the
// token is at that moment.
type HookEvent struct {
	Event   string
	Action  string
	TokenID int64
}

// Hook is an organization's webhook. Its secret never leaves the store
// but to sign deliveries: HasSecret says whether it has one.
type Hook struct {
	ID        int64
	OrgID     int64
	URL       string
	HasSecret bool
	Active    bool
	Events    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HookInput is a webhook's settings as saved. Secret nil keeps the stored
// secret; a pointer to "" removes it.
type HookInput struct {
	URL    string
	Secret *string
	Active bool
	Events []string
}

// MaxHooks caps an organization's webhooks.
const MaxHooks = 20

// ErrTooManyHooks is returned when an organization has MaxHooks already.
var ErrTooManyHooks = fmt.Errorf("an organization may have at most %d webhooks", MaxHooks)

const hookColumns = `id, org_id, url, secret <> '', active, events, created_at, updated_at`

func scanHook(row interface{ Scan(...any) error }) (Hook, error) {
	var h Hook
	var events, created, updated string
	err := row.Scan(&h.ID, &h.OrgID, &h.URL, &h.HasSecret, &h.Active, &events, &created, &updated)
	h.Events, h.CreatedAt, h.UpdatedAt = strings.Fields(events), parseTime(created), parseTime(updated)
	return h, err
}

// HooksOf lists an organization's webhooks, oldest first.
func (s *Store) HooksOf(ctx context.Context, orgID int64) (_ []Hook, err error) {
	defer failed(&err, "hooks of")
	rows, err := s.read.QueryContext(ctx, hooksOfSQL, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hook
	for rows.Next() {
		h, err := scanHook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// HookOf loads one of an organization's webhooks (ErrNotFound for
// another organization's).
func (s *Store) HookOf(ctx context.Context, orgID, hookID int64) (_ Hook, err error) {
	defer failed(&err, "hook of")
	h, err := scanHook(s.read.QueryRowContext(ctx, `SELECT `+hookColumns+` FROM hooks WHERE id = ? AND org_id = ?`, hookID, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	return h, err
}

// CreateHook adds a webhook to an organization, with its audit events
// acted by actorID.
func (s *Store) CreateHook(ctx context.Context, orgID, actorID int64, in HookInput, events []policy.Event) (_ int64, err error) {
	defer failed(&err, "create hook")
	var id int64
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM hooks WHERE org_id = ?`, orgID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxHooks {
			return ErrTooManyHooks
		}
		secret := ""
		if in.Secret != nil {
			secret = *in.Secret
		}
		now := timestamp(s.now())
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO hooks (org_id, url, secret, active, events, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			orgID, in.URL, secret, in.Active, strings.Join(in.Events, " "), now, now).Scan(&id); err != nil {
			return err
		}
		return s.recordEvents(ctx, tx, "org_id", orgID, actorID, events)
	})
	return id, err
}

// UpdateHook saves a webhook's settings, with its audit events. Made
// inactive, its deliveries still waiting are marked failed.
func (s *Store) UpdateHook(ctx context.Context, orgID, actorID, hookID int64, in HookInput, events []policy.Event) (err error) {
	defer failed(&err, "update hook")
	return s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		secret, keep := "", in.Secret == nil
		if !keep {
			secret = *in.Secret
		}
		res, err := tx.ExecContext(ctx,
			`UPDATE hooks SET url = ?, secret = CASE WHEN ? = 1 THEN secret ELSE ? END, active = ?, events = ?, updated_at = ?
			 WHERE id = ? AND org_id = ?`,
			in.URL, keep, secret, in.Active, strings.Join(in.Events, " "), timestamp(s.now()), hookID, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		if !in.Active {
			// An inactive webhook sends nothing: what was waiting fails.
			if _, err := tx.ExecContext(ctx,
				`UPDATE hook_deliveries SET state = 'failed', claimed_by = '', error = 'The webhook was made inactive.'
				 WHERE hook_id = ? AND state = 'pending'`, hookID); err != nil {
				return err
			}
		}
		return s.recordEvents(ctx, tx, "org_id", orgID, actorID, events)
	})
}

// DeleteHook deletes a webhook with its deliveries, with its audit events.
func (s *Store) DeleteHook(ctx context.Context, orgID, actorID, hookID int64, events []policy.Event) (err error) {
	defer failed(&err, "delete hook")
	return s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hook_deliveries WHERE hook_id IN (SELECT id FROM hooks WHERE id = ? AND org_id = ?)`,
			hookID, orgID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM hooks WHERE id = ? AND org_id = ?`, hookID, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		return s.recordEvents(ctx, tx, "org_id", orgID, actorID, events)
	})
}

// cmpErr is err, or when there is none, otherwise.
func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// newGUID draws a random UUID (version 4), a delivery's X-GitHub-Delivery.
func newGUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// enqueueHooks writes, in a change's transaction, a delivery of each event
// to every active hook of the organization subscribed to it. The body is
// built once per event, from the token as the transaction sees it.
func (s *Store) enqueueHooks(ctx context.Context, tx *sql.Tx, orgID, actorID int64, events []HookEvent) error {
	if len(events) == 0 {
		return nil
	}
	subs, err := activeHooks(ctx, tx, orgID)
	if err != nil {
		return err
	}
	return s.enqueueTo(ctx, tx, subs, orgID, actorID, events)
}

// enqueueTo is enqueueHooks to the organization's active hooks subs.
func (s *Store) enqueueTo(ctx context.Context, tx *sql.Tx, subs []hookSub, orgID, actorID int64, events []HookEvent) error {
	if len(subs) == 0 {
		return nil
	}
	now := s.now()
	var org, sender payload.Account
	for _, ev := range events {
		var to []int64
		for _, h := range subs {
			if h.subscribes(ev.Event) {
				to = append(to, h.id)
			}
		}
		if len(to) == 0 {
			continue
		}
		if org.ID == 0 {
			org.ID, sender.ID = orgID, actorID
			if err := tx.QueryRowContext(ctx, `SELECT login FROM organizations WHERE id = ?`, orgID).Scan(&org.Login); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT login FROM users WHERE id = ?), '')`, actorID).Scan(&sender.Login); err != nil {
				return err
			}
		}
		t, err := hookToken(ctx, tx, ev.TokenID)
		if err != nil {
			return err
		}
		body, err := payload.Build(payload.Facts{Event: ev.Event, Action: ev.Action, Token: t, Org: org, Sender: sender, Now: now, Base: s.publicURL})
		if err != nil {
			return err
		}
		for _, hookID := range to {
			if _, err := s.insertDelivery(ctx, tx, hookID, ev.Event, ev.Action, string(body), false, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// hookSub is an active hook and the events it subscribes to.
type hookSub struct {
	id     int64
	events []string
}

func (h hookSub) subscribes(event string) bool { return slices.Contains(h.events, event) }

// activeHooks lists an organization's active hooks, in id order.
func activeHooks(ctx context.Context, tx *sql.Tx, orgID int64) ([]hookSub, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM hooks WHERE org_id = ? AND active = 1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var subs []hookSub
	for rows.Next() {
		var h hookSub
		var evs string
		if err := rows.Scan(&h.id, &evs); err != nil {
			return nil, err
		}
		h.events = strings.Fields(evs)
		subs = append(subs, h)
	}
	return subs, rows.Err()
}

// anySubscribes reports whether one of subs subscribes to event.
func anySubscribes(subs []hookSub, event string) bool {
	return slices.ContainsFunc(subs, func(h hookSub) bool { return h.subscribes(event) })
}

func (s *Store) insertDelivery(ctx context.Context, tx *sql.Tx, hookID int64, event, action, body string, redelivery bool, now time.Time) (int64, error) {
	at := timestamp(now)
	var id int64
	err := tx.QueryRowContext(ctx,
		`INSERT INTO hook_deliveries (hook_id, guid, event, action, payload, state, next_attempt_at, redelivery, created_at)
		 VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`, hookID, newGUID(), event, action, body, at, redelivery, at).Scan(&id)
	return id, err
}

// hookToken reads what a delivery says of a token and its grant.
func hookToken(ctx context.Context, tx *sql.Tx, tokenID int64) (payload.Token, error) {
	t := payload.Token{ID: tokenID, Permissions: map[string]policy.Level{}}
	var expires, used, created, status string
	err := tx.QueryRowContext(ctx,
		`SELECT t.name, t.user_id, u.login, t.repository_selection, COALESCE(t.expires_at, ''), COALESCE(t.last_used_at, ''),
		 COALESCE(g.created_at, t.created_at), COALESCE(g.id, 0), COALESCE(g.status, '')
		 FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN grants g ON g.token_id = t.id WHERE t.id = ?`, tokenID).
		Scan(&t.Name, &t.Owner.ID, &t.Owner.Login, &t.Selection, &expires, &used, &created, &t.GrantID, &status)
	if err != nil {
		return t, fmt.Errorf("token %d of a hook event: %w", tokenID, err)
	}
	t.ExpiresAt, t.LastUsedAt, t.CreatedAt, t.Status = parseExpiry(expires), parseTime(used), parseTime(created), policy.GrantStatus(status)
	rows, err := tx.QueryContext(ctx, `SELECT name, level FROM token_permissions WHERE token_id = ?`, tokenID)
	if err != nil {
		return t, err
	}
	for rows.Next() {
		var name string
		var level policy.Level
		if err := rows.Scan(&name, &level); err != nil {
			rows.Close()
			return t, err
		}
		t.Permissions[name] = level
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, err
	}
	rows, err = tx.QueryContext(ctx,
		`SELECT r.id, r.name, r.private FROM token_repositories tr JOIN repositories r ON r.id = tr.repo_id WHERE tr.token_id = ? ORDER BY r.name`, tokenID)
	if err != nil {
		return t, err
	}
	defer rows.Close()
	for rows.Next() {
		var r payload.Repo
		if err := rows.Scan(&r.ID, &r.Name, &r.Private); err != nil {
			return t, err
		}
		t.Repos = append(t.Repos, r)
	}
	return t, rows.Err()
}

// The listing queries, each a range of one index (see TestHookQueriesUseIndexes).
const (
	hooksOfSQL       = `SELECT ` + hookColumns + ` FROM hooks WHERE org_id = ? ORDER BY id`
	deliveriesOfSQL  = `SELECT ` + deliveryColumns + ` FROM hook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`
	dueDeliveriesSQL = `SELECT id FROM hook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`
	oldDeliveriesSQL = `SELECT id FROM hook_deliveries WHERE state <> 'pending' AND created_at < ? ORDER BY created_at LIMIT ?`
)

// KeepDeliveries is how long a finished delivery is kept (listed, and
// offered for redelivery) after it was made.
const KeepDeliveries = 30 * 24 * time.Hour

// sweepBatch bounds how many finished deliveries past keeping one claim
// deletes.
const sweepBatch = 100

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one delivery of an event to a hook: its last attempt's
// outcome, or none yet.
type Delivery struct {
	ID         int64
	HookID     int64
	GUID       string
	Event      string
	Action     string
	State      string
	Attempts   int
	StatusCode int // 0: no answer (not tried yet, or a network error)
	Duration   time.Duration
	Response   string // the start of the last answer's body
	Error      string // why the last attempt failed without an answer
	Redelivery bool
	CreatedAt  time.Time
	// AttemptedAt is when the last attempt ended (zero: none yet);
	// NextAttemptAt when a pending delivery is due.
	AttemptedAt   time.Time
	NextAttemptAt time.Time
	// Payload is filled by DeliveryOf only.
	Payload string
}

const deliveryColumns = `id, hook_id, guid, event, action, state, attempts, status_code, duration_ms, response, error, redelivery,
	created_at, delivered_at, next_attempt_at`

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (Delivery, error) {
	var d Delivery
	var ms int64
	var created, attempted, next string
	err := row.Scan(append([]any{&d.ID, &d.HookID, &d.GUID, &d.Event, &d.Action, &d.State, &d.Attempts, &d.StatusCode, &ms,
		&d.Response, &d.Error, &d.Redelivery, &created, &attempted, &next}, extra...)...)
	d.Duration = time.Duration(ms) * time.Millisecond
	d.CreatedAt, d.AttemptedAt, d.NextAttemptAt = parseTime(created), parseTime(attempted), parseTime(next)
	return d, err
}

// DeliveriesOf lists a page of a hook's deliveries, newest first: at most
// limit, after the offset newest.
func (s *Store) DeliveriesOf(ctx context.Context, hookID int64, offset, limit int) (_ []Delivery, err error) {
	defer failed(&err, "deliveries of")
	rows, err := s.read.QueryContext(ctx, deliveriesOfSQL, hookID, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CountDeliveries counts a hook's deliveries.
func (s *Store) CountDeliveries(ctx context.Context, hookID int64) (_ int, err error) {
	defer failed(&err, "count deliveries")
	var n int
	err = s.read.QueryRowContext(ctx, `SELECT count(*) FROM hook_deliveries WHERE hook_id = ?`, hookID).Scan(&n)
	return n, err
}

// DeliveryOf loads one delivery of a hook with its body.
func (s *Store) DeliveryOf(ctx context.Context, hookID, deliveryID int64) (_ Delivery, err error) {
	defer failed(&err, "delivery of")
	var d Delivery
	var body string
	d, err = scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, payload FROM hook_deliveries WHERE id = ? AND hook_id = ?`,
		deliveryID, hookID), &body)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	d.Payload = body
	return d, err
}

// Redeliver queues a delivery of an organization's hook again: a new
// delivery, with a GUID of its own, of the same body. It returns the new
// delivery's id.
func (s *Store) Redeliver(ctx context.Context, orgID, hookID, deliveryID int64) (_ int64, err error) {
	defer failed(&err, "redeliver")
	var id int64
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		var event, action, body string
		err := tx.QueryRowContext(ctx,
			`SELECT d.event, d.action, d.payload FROM hook_deliveries d JOIN hooks h ON h.id = d.hook_id
			 WHERE d.id = ? AND d.hook_id = ? AND h.org_id = ?`, deliveryID, hookID, orgID).Scan(&event, &action, &body)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		id, err = s.insertDelivery(ctx, tx, hookID, event, action, body, true, s.now())
		return err
	})
	return id, err
}

// Claimed is a delivery a worker claimed, with what sending it needs.
type Claimed struct {
	ID       int64
	HookID   int64
	OrgID    int64
	GUID     string
	Event    string
	URL      string
	Secret   string
	Payload  []byte
	Attempts int // counting this one
	// Claim names the claim: only its holder may record the outcome.
	Claim     string
	CreatedAt time.Time
}

// ClaimDeliveries claims at most limit pending deliveries due at now, in
// one write transaction: each is due again only when the lease has run
// out, so that with any number of workers, in any number of processes, a
// delivery is sent by one of them, and by another only if the first never
// recorded an outcome (it stopped, or crashed) before its lease ended.
// The same transaction deletes a bounded batch of finished deliveries
// made more than KeepDeliveries ago.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) (_ []Claimed, err error) {
	defer failed(&err, "claim deliveries")
	// A look first, on a reader: an idle outbox costs no write
	// transaction, so idle workers in many instances never queue for the
	// write lock.
	var due, old bool
	at, before := timestamp(now), timestamp(now.Add(-KeepDeliveries))
	if err := s.read.QueryRowContext(ctx, `SELECT EXISTS (`+dueDeliveriesSQL+`), EXISTS (`+oldDeliveriesSQL+`)`,
		at, 1, before, 1).Scan(&due, &old); err != nil {
		return nil, err
	}
	if !due && !old {
		return nil, nil
	}
	var out []Claimed
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		out = nil
		if old {
			if _, err := tx.ExecContext(ctx, `DELETE FROM hook_deliveries WHERE id IN (`+oldDeliveriesSQL+`)`, before, sweepBatch); err != nil {
				return err
			}
		}
		claim := newGUID()
		ids, err := int64s(ctx, tx,
			`UPDATE hook_deliveries SET claimed_by = ?, next_attempt_at = ?, attempts = attempts + 1
			 WHERE id IN (`+dueDeliveriesSQL+`) RETURNING id`,
			claim, timestamp(now.Add(lease)), at, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx,
			`SELECT d.id, d.hook_id, h.org_id, d.guid, d.event, h.url, h.secret, d.payload, d.attempts, d.created_at
			 FROM hook_deliveries d JOIN hooks h ON h.id = d.hook_id WHERE d.id IN (`+placeholders(len(ids))+`) ORDER BY d.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := Claimed{Claim: claim}
			var body, created string
			if err := rows.Scan(&c.ID, &c.HookID, &c.OrgID, &c.GUID, &c.Event, &c.URL, &c.Secret, &body, &c.Attempts, &created); err != nil {
				return err
			}
			c.Payload, c.CreatedAt = []byte(body), parseTime(created)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// Attempt is the outcome of sending a claimed delivery.
type Attempt struct {
	ID    int64
	Claim string
	// At is when the attempt ended.
	At         time.Time
	StatusCode int // 0: no answer
	Duration   time.Duration
	Response   string
	Error      string
}

// OK reports whether the receiver accepted the delivery (a 2xx answer).
func (a Attempt) OK() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// RetryFor is how long after its creation a delivery is tried again.
const RetryFor = 24 * time.Hour

// firstRetry and maxRetry bound the wait before the next attempt: it
// doubles after each failed one.
const (
	firstRetry = 10 * time.Second
	maxRetry   = time.Hour
)

// RetryDelay is the wait after a delivery's attempts-th failed attempt:
// 10 s, doubling, at most an hour.
func RetryDelay(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// maxResponse caps the answer's excerpt the store keeps.
const maxResponse = 4096

// RecordAttempt stores the outcome of a claimed delivery: delivered on a
// 2xx answer; otherwise due again after RetryDelay, or failed when that
// would fall after RetryFor from its creation. An attempt whose claim has
// been taken over (its lease ran out and another worker claimed it) changes
// nothing and reports false.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt) (_ bool, err error) {
	defer failed(&err, "record attempt")
	var recorded bool
	err = s.writeTx(ctx, changesNothingCached, func(tx *sql.Tx) error {
		var attempts int
		var created string
		err := tx.QueryRowContext(ctx, `SELECT attempts, created_at FROM hook_deliveries WHERE id = ? AND claimed_by = ? AND state = 'pending'`,
			a.ID, a.Claim).Scan(&attempts, &created)
		if errors.Is(err, sql.ErrNoRows) {
			recorded = false
			return nil
		}
		if err != nil {
			return err
		}
		state, next := DeliveryDelivered, a.At
		if !a.OK() {
			state, next = DeliveryPending, a.At.Add(RetryDelay(attempts))
			if next.After(parseTime(created).Add(RetryFor)) {
				state = DeliveryFailed
			}
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE hook_deliveries SET state = ?, next_attempt_at = ?, claimed_by = '', status_code = ?, duration_ms = ?,
			 response = ?, error = ?, delivered_at = ? WHERE id = ?`,
			state, timestamp(next), a.StatusCode, a.Duration.Milliseconds(), storable(a.Response, maxResponse), storable(a.Error, 512),
			timestamp(a.At), a.ID)
		recorded = err == nil
		return err
	})
	return recorded, err
}

// storable is s cut to at most n bytes of valid UTF-8 without NUL, which
// PostgreSQL's text refuses.
func storable(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
