package service

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
)

// HookStore is what managing webhooks reads and writes.
type HookStore interface {
	HookOf(ctx context.Context, orgID, hookID int64) (db.Hook, error)
	CreateHook(ctx context.Context, orgID, actorID int64, in db.HookInput, events []policy.Event) (int64, error)
	UpdateHook(ctx context.Context, orgID, actorID, hookID int64, in db.HookInput, events []policy.Event) error
	DeleteHook(ctx context.Context, orgID, actorID, hookID int64, events []policy.Event) error
}

// Webhooks adds, changes and deletes an organization's webhooks, for the
// settings pages and the API alike, each change with its audit event.
type Webhooks struct {
	Store HookStore
}

// The fields of a webhook's form and body.
const (
	FieldHookURL    policy.Field = "url"
	FieldHookSecret policy.Field = "secret"
	FieldHookEvents policy.Field = "events"
)

// Limits of a webhook's settings.
const (
	maxHookURL    = 2048
	maxHookSecret = 256
)

// InvalidHook is a webhook's settings the rules refuse, per field.
type InvalidHook struct{ Errors policy.Errors }

func (e *InvalidHook) Error() string { return "service: invalid webhook: " + e.Errors[0].Error() }

// CheckHook checks a webhook's settings: the payload URL is http or https,
// with a host and no credentials; at least one known event; a secret of at
// most 256 characters. The events come back sorted, without repeats.
func CheckHook(in db.HookInput) (db.HookInput, error) {
	var errs policy.Errors
	in.URL = strings.TrimSpace(in.URL)
	if msg := checkHookURL(in.URL); msg != "" {
		errs = append(errs, policy.FieldError{Field: FieldHookURL, Message: msg})
	}
	if in.Secret != nil && len(*in.Secret) > maxHookSecret {
		errs = append(errs, policy.FieldError{Field: FieldHookSecret, Message: fmt.Sprintf("Use at most %d characters.", maxHookSecret)})
	}
	events := slices.Clone(in.Events)
	slices.Sort(events)
	events = slices.Compact(events)
	for _, e := range events {
		if !payload.KnownEvent(e) {
			errs = append(errs, policy.FieldError{Field: FieldHookEvents, Message: fmt.Sprintf("%q is not an event this console sends.", e)})
		}
	}
	if len(events) == 0 {
		errs = append(errs, policy.FieldError{Field: FieldHookEvents, Message: "Choose at least one event."})
	}
	in.Events = events
	if len(errs) > 0 {
		return in, &InvalidHook{Errors: errs}
	}
	return in, nil
}

func checkHookURL(raw string) string {
	if raw == "" {
		return "Enter the URL deliveries are sent to."
	}
	if len(raw) > maxHookURL {
		return fmt.Sprintf("Use at most %d characters.", maxHookURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
		return "Enter an http:// or https:// URL."
	case u.Hostname() == "":
		return "Enter a URL with a host name."
	case u.User != nil:
		return "Leave the user name and password out of the URL: use the secret to authenticate deliveries."
	}
	return ""
}

// Create checks and adds a webhook.
func (w Webhooks) Create(ctx context.Context, orgID, actorID int64, in db.HookInput) (int64, error) {
	in, err := CheckHook(in)
	if err != nil {
		return 0, err
	}
	return w.Store.CreateHook(ctx, orgID, actorID, in, []policy.Event{{Action: policy.ActionHookCreate, Details: hookDetails(in.URL, in.Events)}})
}

// Update checks and saves a webhook's settings; its audit events say what
// changed.
func (w Webhooks) Update(ctx context.Context, orgID, actorID, hookID int64, in db.HookInput) error {
	in, err := CheckHook(in)
	if err != nil {
		return err
	}
	old, err := w.Store.HookOf(ctx, orgID, hookID)
	if err != nil {
		return err
	}
	var events []policy.Event
	if old.URL != in.URL || in.Secret != nil {
		events = append(events, policy.Event{Action: policy.ActionHookConfigChanged, Details: hookDetails(in.URL, nil)})
	}
	if !slices.Equal(old.Events, in.Events) {
		events = append(events, policy.Event{Action: policy.ActionHookEventsChanged, Details: hookDetails(in.URL, in.Events)})
	}
	if old.Active != in.Active {
		events = append(events, policy.Event{Action: policy.ActionHookActiveChanged, Details: fmt.Sprintf("url: %s, active: %t", in.URL, in.Active)})
	}
	return w.Store.UpdateHook(ctx, orgID, actorID, hookID, in, events)
}

// Delete deletes a webhook and its deliveries.
func (w Webhooks) Delete(ctx context.Context, orgID, actorID, hookID int64) error {
	old, err := w.Store.HookOf(ctx, orgID, hookID)
	if err != nil {
		return err
	}
	return w.Store.DeleteHook(ctx, orgID, actorID, hookID, []policy.Event{{Action: policy.ActionHookDestroy, Details: hookDetails(old.URL, nil)}})
}

func hookDetails(u string, events []string) string {
	if len(events) == 0 {
		return "url: " + u
	}
	return fmt.Sprintf("url: %s, events: %s", u, strings.Join(events, ", "))
}
