package service_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/policy"
	"patpolicy/service"
)

// hookStore keeps one webhook and the audit events of the last change.
type hookStore struct {
	hook   db.Hook
	saved  db.HookInput
	events []policy.Event
}

func (s *hookStore) HookOf(context.Context, int64, int64) (db.Hook, error) { return s.hook, nil }
func (s *hookStore) CreateHook(_ context.Context, _, _ int64, in db.HookInput, evs []policy.Event) (int64, error) {
	s.saved, s.events = in, evs
	return 1, nil
}
func (s *hookStore) UpdateHook(_ context.Context, _, _, _ int64, in db.HookInput, evs []policy.Event) error {
	s.saved, s.events = in, evs
	return nil
}
func (s *hookStore) DeleteHook(_ context.Context, _, _, _ int64, evs []policy.Event) error {
	s.events = evs
	return nil
}

func actionsOf(evs []policy.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func TestWebhookChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	old := db.Hook{ID: 1, URL: "https://example.com/a", Active: true, Events: []string{payload.EventTokenRequest}}
	secret := "new"
	for _, tc := range []struct {
		name string
		in   db.HookInput
		want []string
	}{
		{"nothing changed", db.HookInput{URL: old.URL, Active: true, Events: old.Events}, nil},
		{"the URL", db.HookInput{URL: "https://example.com/b", Active: true, Events: old.Events}, []string{policy.ActionHookConfigChanged}},
		{"the secret", db.HookInput{URL: old.URL, Secret: &secret, Active: true, Events: old.Events}, []string{policy.ActionHookConfigChanged}},
		{"the events, in another order", db.HookInput{URL: old.URL, Active: true, Events: []string{payload.EventTokenRequest, payload.EventToken}},
			[]string{policy.ActionHookEventsChanged}},
		{"active", db.HookInput{URL: old.URL, Active: false, Events: old.Events}, []string{policy.ActionHookActiveChanged}},
	} {
		s := &hookStore{hook: old}
		if err := (service.Webhooks{Store: s}).Update(ctx, 1, 2, 1, tc.in); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := actionsOf(s.events); !slices.Equal(got, tc.want) {
			t.Errorf("%s: events %v, want %v", tc.name, got, tc.want)
		}
	}
	s := &hookStore{hook: old}
	w := service.Webhooks{Store: s}
	if _, err := w.Create(ctx, 1, 2, db.HookInput{URL: " https://example.com/c ", Events: []string{payload.EventToken, payload.EventToken}}); err != nil {
		t.Fatal(err)
	}
	if got := actionsOf(s.events); !slices.Equal(got, []string{policy.ActionHookCreate}) || s.saved.URL != "https://example.com/c" ||
		!slices.Equal(s.saved.Events, []string{payload.EventToken}) {
		t.Errorf("create: %v, saved %+v", got, s.saved)
	}
	if err := w.Delete(ctx, 1, 2, 1); err != nil || !slices.Equal(actionsOf(s.events), []string{policy.ActionHookDestroy}) {
		t.Errorf("delete: %v, %v", err, s.events)
	}
}

func TestCheckHook(t *testing.T) {
	long := string(make([]byte, 257))
	for _, tc := range []struct {
		in    db.HookInput
		field policy.Field
	}{
		{db.HookInput{URL: "", Events: payload.Events()}, service.FieldHookURL},
		{db.HookInput{URL: "example.com/x", Events: payload.Events()}, service.FieldHookURL},
		{db.HookInput{URL: "javascript:alert(1)", Events: payload.Events()}, service.FieldHookURL},
		{db.HookInput{URL: "https:///path", Events: payload.Events()}, service.FieldHookURL},
		{db.HookInput{URL: "https://u:p@example.com/", Events: payload.Events()}, service.FieldHookURL},
		{db.HookInput{URL: "https://example.com/", Events: []string{"push"}}, service.FieldHookEvents},
		{db.HookInput{URL: "https://example.com/"}, service.FieldHookEvents},
		{db.HookInput{URL: "https://example.com/", Secret: &long, Events: payload.Events()}, service.FieldHookSecret},
	} {
		_, err := service.CheckHook(tc.in)
		var bad *service.InvalidHook
		if !errors.As(err, &bad) || bad.Errors[0].Field != tc.field {
			t.Errorf("CheckHook(%+v) = %v, want an error on %s", tc.in, err, tc.field)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8080/hook", "https://example.com/x?y=1", "HTTPS://EXAMPLE.COM"} {
		if _, err := service.CheckHook(db.HookInput{URL: ok, Events: payload.Events()}); err != nil {
			t.Errorf("CheckHook(%q) = %v", ok, err)
		}
	}
}
