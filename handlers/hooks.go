package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/service"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// HookStore is what an organization's webhook pages read.
type HookStore interface {
	HooksOf(ctx context.Context, orgID int64) ([]db.Hook, error)
	HookOf(ctx context.Context, orgID, hookID int64) (db.Hook, error)
	DeliveriesOf(ctx context.Context, hookID int64, offset, limit int) ([]db.Delivery, error)
	Redeliver(ctx context.Context, orgID, hookID, deliveryID int64) (int64, error)
}

// OrgHooks serves an organization's webhooks to its owners: the list,
// the form, each webhook's page with its recent deliveries. Changes go
// through Webhooks, as the API's do.
type OrgHooks struct {
	Store    HookStore
	Webhooks service.Webhooks
}

// recentDeliveries is how many deliveries a webhook's page shows.
const recentDeliveries = 30

// hookEventLabels names each event's checkbox, in form order.
var hookEventLabels = map[string][2]string{
	payload.EventTokenRequest: {"Personal access token requests", "A request is created, approved, denied or cancelled."},
	payload.EventToken:        {"Personal access tokens", "A token is revoked by an owner, is about to expire or has expired, or a policy blocks it."},
}

func hookEvents(checked []string) []views.HookEventOption {
	var out []views.HookEventOption
	for _, e := range payload.Events() {
		l := hookEventLabels[e]
		out = append(out, views.HookEventOption{Value: e, Label: l[0], Help: l[1], Checked: slices.Contains(checked, e)})
	}
	return out
}

func hookNav(org db.Org) views.SettingsNav { return nav(org, paths.OrgHooks(org.Login)) }

// List shows the organization's webhooks.
func (h OrgHooks) List(c echo.Context) error {
	org := guard.Org(c)
	hooks, err := h.Store.HooksOf(c.Request().Context(), org.ID)
	if err != nil {
		return err
	}
	p := views.HooksPage{Nav: hookNav(org), NewURL: paths.OrgNewHook(org.Login)}
	for _, hk := range hooks {
		labels := make([]string, 0, len(hk.Events))
		for _, e := range hk.Events {
			labels = append(labels, hookEventLabels[e][0])
		}
		p.Hooks = append(p.Hooks, views.HookItem{URL: hk.URL, Link: paths.OrgHook(org.Login, hk.ID), Active: hk.Active,
			Events: strings.Join(labels, ", ")})
	}
	return render.Page(c, http.StatusOK, views.HooksView(Chrome(c, "Webhooks · "+org.Login), p))
}

// New shows the form of a new webhook: active, subscribed to requests.
func (h OrgHooks) New(c echo.Context) error {
	org := guard.Org(c)
	form := views.HookForm{Action: paths.OrgHooks(org.Login), New: true, Active: true,
		Events: hookEvents([]string{payload.EventTokenRequest})}
	return h.renderNew(c, http.StatusOK, org, form)
}

func (h OrgHooks) renderNew(c echo.Context, status int, org db.Org, form views.HookForm) error {
	return render.Page(c, status, views.NewHookView(Chrome(c, "Add webhook · "+org.Login), views.NewHookPage{Nav: hookNav(org), Form: form}))
}

// hookInput reads the form. An empty secret keeps the stored one.
func hookInput(form url.Values) db.HookInput {
	in := db.HookInput{URL: form.Get("url"), Active: form.Get("active") != "", Events: form["events"]}
	if s := form.Get("secret"); s != "" {
		in.Secret = &s
	}
	return in
}

// refused fills a form with what was wrong with it.
func refused(form *views.HookForm, err error) bool {
	var bad *service.InvalidHook
	switch {
	case errors.As(err, &bad):
		form.Errors = map[string]string{}
		for _, e := range bad.Errors {
			if _, seen := form.Errors[string(e.Field)]; !seen {
				form.Errors[string(e.Field)] = e.Message
				form.Summary = append(form.Summary, e.Message)
			}
		}
		return true
	case errors.Is(err, db.ErrTooManyHooks):
		form.Summary = []string{fmt.Sprintf("An organization may have at most %d webhooks. Delete one first.", db.MaxHooks)}
		return true
	}
	return false
}

// Create adds a webhook, or shows the form again with what is wrong (422).
func (h OrgHooks) Create(c echo.Context) error {
	org := guard.Org(c)
	values, err := formOf(c)
	if err != nil {
		return err
	}
	in := hookInput(values)
	id, err := h.Webhooks.Create(c.Request().Context(), org.ID, guard.User(c).ID, in)
	if err != nil {
		form := views.HookForm{Action: paths.OrgHooks(org.Login), New: true, URL: in.URL, Active: in.Active, Events: hookEvents(in.Events)}
		if refused(&form, err) {
			return h.renderNew(c, http.StatusUnprocessableEntity, org, form)
		}
		return err
	}
	if err := session.SetFlash(c, "Okay, that webhook was added. Its deliveries are listed on its page."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OrgHook(org.Login, id))
}

// hook loads the :id webhook of the organization; another's is 404.
func (h OrgHooks) hook(c echo.Context) (db.Hook, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return db.Hook{}, echo.ErrNotFound
	}
	hk, err := h.Store.HookOf(c.Request().Context(), guard.Org(c).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return hk, echo.ErrNotFound
	}
	return hk, err
}

// posted is what a form posted to a webhook's page carries: the
// organization, the webhook, the values.
func (h OrgHooks) posted(c echo.Context) (db.Org, db.Hook, url.Values, error) {
	hk, err := h.hook(c)
	if err != nil {
		return db.Org{}, hk, nil, err
	}
	values, err := formOf(c)
	return guard.Org(c), hk, values, err
}

// Show shows a webhook's settings and its recent deliveries.
func (h OrgHooks) Show(c echo.Context) error {
	hk, err := h.hook(c)
	if err != nil {
		return err
	}
	return h.renderHook(c, http.StatusOK, hk, h.savedForm(guard.Org(c), hk))
}

func (h OrgHooks) savedForm(org db.Org, hk db.Hook) views.HookForm {
	return views.HookForm{Action: paths.OrgHook(org.Login, hk.ID), URL: hk.URL, HasSecret: hk.HasSecret, Active: hk.Active,
		Events: hookEvents(hk.Events)}
}

func (h OrgHooks) renderHook(c echo.Context, status int, hk db.Hook, form views.HookForm) error {
	org := guard.Org(c)
	ds, err := h.Store.DeliveriesOf(c.Request().Context(), hk.ID, 0, recentDeliveries)
	if err != nil {
		return err
	}
	p := views.HookPage{Nav: hookNav(org), Form: form, DeleteURL: paths.OrgDeleteHook(org.Login, hk.ID)}
	for _, d := range ds {
		p.Deliveries = append(p.Deliveries, deliveryRow(org.Login, d))
	}
	return render.Page(c, status, views.HookView(Chrome(c, "Webhook · "+org.Login), p))
}

func deliveryRow(org string, d db.Delivery) views.DeliveryRow {
	at := d.AttemptedAt
	if at.IsZero() {
		at = d.CreatedAt
	}
	r := views.DeliveryRow{GUID: d.GUID, Event: d.Event, Status: payload.DeliveryStatus(d.Attempts, d.StatusCode, d.Error),
		ResponseCode: "—", Duration: "—", Time: at.UTC().Format("2006-01-02 15:04:05 UTC"), TimeISO: at.UTC().Format("2006-01-02T15:04:05Z"),
		Redelivery: d.Redelivery, RedeliverURL: paths.OrgRedeliver(org, d.HookID, d.ID), RedeliverName: "Delivery " + d.GUID}
	if d.Action != "" {
		r.Event += "." + d.Action
	}
	switch {
	case d.StatusCode >= 200 && d.StatusCode < 300:
		r.StatusClass = "status-active"
	case d.State == db.DeliveryPending && d.StatusCode == 0 && d.Error == "":
		r.StatusClass = "status-pending"
	default:
		r.StatusClass = "status-denied"
	}
	if d.State == db.DeliveryPending && r.StatusClass == "status-denied" {
		r.Status += " (will retry)"
	}
	if d.StatusCode != 0 {
		r.ResponseCode = strconv.Itoa(d.StatusCode)
	}
	if d.Attempts > 0 && !d.AttemptedAt.IsZero() {
		r.Duration = fmt.Sprintf("%d ms", d.Duration.Milliseconds())
	}
	return r
}

// Update saves a webhook's settings, or shows the form again with what is
// wrong (422).
func (h OrgHooks) Update(c echo.Context) error {
	org, hk, values, err := h.posted(c)
	if err != nil {
		return err
	}
	in := hookInput(values)
	if err := h.Webhooks.Update(c.Request().Context(), org.ID, guard.User(c).ID, hk.ID, in); err != nil {
		form := views.HookForm{Action: paths.OrgHook(org.Login, hk.ID), URL: in.URL, HasSecret: hk.HasSecret, Active: in.Active,
			Events: hookEvents(in.Events)}
		if refused(&form, err) {
			return h.renderHook(c, http.StatusUnprocessableEntity, hk, form)
		}
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	if err := session.SetFlash(c, "Okay, the webhook was updated."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OrgHook(org.Login, hk.ID))
}

// Delete deletes a webhook once confirmed.
func (h OrgHooks) Delete(c echo.Context) error {
	org, hk, values, err := h.posted(c)
	if err != nil {
		return err
	}
	if !confirmed(values) {
		return render.Page(c, http.StatusOK, views.OrgConfirmView(Chrome(c, "Delete webhook · "+org.Login), hookNav(org),
			confirmation(c, "Delete this webhook?", "Deliveries to "+hk.URL+" stop at once, and the delivery history goes with it.",
				"Delete webhook", paths.OrgHook(org.Login, hk.ID))))
	}
	err = h.Webhooks.Delete(c.Request().Context(), org.ID, guard.User(c).ID, hk.ID)
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := session.SetFlash(c, "Okay, the webhook was deleted."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OrgHooks(org.Login))
}

// Redeliver queues a delivery again, as a new delivery.
func (h OrgHooks) Redeliver(c echo.Context) error {
	org := guard.Org(c)
	hk, err := h.hook(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	if _, err := h.Store.Redeliver(c.Request().Context(), org.ID, hk.ID, id); errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	if err := session.SetFlash(c, "Okay, the delivery will be sent again in a few seconds."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.OrgHook(org.Login, hk.ID))
}
