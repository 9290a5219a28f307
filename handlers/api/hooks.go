package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/hooks/payload"
	"patpolicy/service"
	"patpolicy/web/render"
)

// HookStore is what the organization webhook endpoints read.
type HookStore interface {
	TokenChecker
	HooksOf(ctx context.Context, orgID int64) ([]db.Hook, error)
	HookOf(ctx context.Context, orgID, hookID int64) (db.Hook, error)
	DeliveriesOf(ctx context.Context, hookID int64, offset, limit int) ([]db.Delivery, error)
	CountDeliveries(ctx context.Context, hookID int64) (int, error)
	DeliveryOf(ctx context.Context, hookID, deliveryID int64) (db.Delivery, error)
	Redeliver(ctx context.Context, orgID, hookID, deliveryID int64) (int64, error)
}

// Hooks serves GitHub's organization webhook endpoints to the
// organization's owners. Changes go through the same use cases as the
// settings pages (Webhooks): same checks, same audit events.
type Hooks struct {
	Store    HookStore
	Webhooks service.Webhooks
	Now      func() time.Time
}

func (h Hooks) access() apiAccess { return apiAccess{Store: h.Store, Now: h.Now} }

// owned loads the :org organization and checks the caller may administer it.
func (h Hooks) owned(c echo.Context) (db.OrgAccess, error) { return h.access().administered(c) }

// hook loads the :hook_id webhook of an organization the caller
// administers.
func (h Hooks) hook(c echo.Context) (db.OrgAccess, db.Hook, error) {
	org, err := h.owned(c)
	if err != nil {
		return org, db.Hook{}, err
	}
	id, err := strconv.ParseInt(c.Param("hook_id"), 10, 64)
	if err != nil || id <= 0 {
		return org, db.Hook{}, notFound()
	}
	hook, err := h.Store.HookOf(c.Request().Context(), org.Org.ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return org, hook, notFound()
	}
	return org, hook, err
}

// HookConfig is GitHub's webhook-config.
type HookConfig struct {
	URL         string  `json:"url"`
	ContentType string  `json:"content_type"`
	Secret      *string `json:"secret,omitempty"`
	InsecureSSL string  `json:"insecure_ssl"`
}

// OrgHookJSON is GitHub's org-hook.
type OrgHookJSON struct {
	ID            int64      `json:"id"`
	URL           string     `json:"url"`
	PingURL       string     `json:"ping_url"`
	DeliveriesURL string     `json:"deliveries_url"`
	Name          string     `json:"name"`
	Events        []string   `json:"events"`
	Active        bool       `json:"active"`
	Config        HookConfig `json:"config"`
	UpdatedAt     string     `json:"updated_at"`
	CreatedAt     string     `json:"created_at"`
	Type          string     `json:"type"`
}

// maskedSecret stands for a stored secret, which is never sent back.
const maskedSecret = "********"

func orgHookJSON(c echo.Context, org string, hk db.Hook) OrgHookJSON {
	self := fmt.Sprintf("%s/orgs/%s/hooks/%d", apiBase(c), org, hk.ID)
	out := OrgHookJSON{ID: hk.ID, URL: self, PingURL: self + "/pings", DeliveriesURL: self + "/deliveries", Name: "web",
		Events: hk.Events, Active: hk.Active, Config: HookConfig{URL: hk.URL, ContentType: "json", InsecureSSL: "0"},
		UpdatedAt: *apiTime(hk.UpdatedAt), CreatedAt: *apiTime(hk.CreatedAt), Type: "Organization"}
	if out.Events == nil {
		out.Events = []string{}
	}
	if hk.HasSecret {
		s := maskedSecret
		out.Config.Secret = &s
	}
	return out
}

// hookConfigBody is a webhook's config as a request sends it. insecure_ssl
// is a string or a number on GitHub: only "0" (verify certificates) is
// offered here.
type hookConfigBody struct {
	URL         *string          `json:"url"`
	ContentType *string          `json:"content_type"`
	Secret      *string          `json:"secret"`
	InsecureSSL *json.RawMessage `json:"insecure_ssl"`
}

// hookBody is the body of POST and PATCH.
type hookBody struct {
	Name   *string         `json:"name"`
	Config *hookConfigBody `json:"config"`
	Events *[]string       `json:"events"`
	Active *bool           `json:"active"`
}

// apply lays the body over a webhook's settings, or refuses what this
// console does not offer.
func (b hookBody) apply(in *db.HookInput) error {
	if b.Name != nil && *b.Name != "web" {
		return invalid("Hook", FieldProblem{Field: "name", Code: "invalid", Message: `name must be "web"`})
	}
	if b.Events != nil {
		in.Events = *b.Events
	}
	if b.Active != nil {
		in.Active = *b.Active
	}
	if cfg := b.Config; cfg != nil {
		if cfg.URL != nil {
			in.URL = *cfg.URL
		}
		if cfg.ContentType != nil && *cfg.ContentType != "json" {
			return invalid("Hook", FieldProblem{Field: "content_type", Code: "invalid", Message: `content_type must be "json"`})
		}
		if cfg.InsecureSSL != nil {
			if s := string(*cfg.InsecureSSL); s != `"0"` && s != `0` {
				return invalid("Hook", FieldProblem{Field: "insecure_ssl", Code: "invalid", Message: "insecure_ssl must be 0: certificates are always verified"})
			}
		}
		if cfg.Secret != nil && *cfg.Secret != maskedSecret {
			in.Secret = cfg.Secret
		}
	}
	return nil
}

// hookErr answers the use case's refusals in GitHub's words.
func hookErr(err error) error {
	var bad *service.InvalidHook
	if errors.As(err, &bad) {
		problems := make([]FieldProblem, 0, len(bad.Errors))
		for _, e := range bad.Errors {
			problems = append(problems, FieldProblem{Field: string(e.Field), Code: "invalid", Message: e.Message})
		}
		return invalid("Hook", problems...)
	}
	if errors.Is(err, db.ErrTooManyHooks) {
		return invalid("Hook", FieldProblem{Field: "hook", Code: "custom", Message: err.Error()})
	}
	if errors.Is(err, db.ErrNotFound) {
		return notFound()
	}
	return err
}

// List is GET /orgs/{org}/hooks.
func (h Hooks) List(c echo.Context) error {
	org, err := h.owned(c)
	if err != nil {
		return err
	}
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	all, err := h.Store.HooksOf(c.Request().Context(), org.Org.ID)
	if err != nil {
		return err
	}
	out := make([]OrgHookJSON, 0, len(all))
	for _, hk := range pageOf(c, p, all) {
		out = append(out, orgHookJSON(c, org.Org.Login, hk))
	}
	return render.JSON(c, http.StatusOK, out)
}

// Create is POST /orgs/{org}/hooks: 201 with the webhook.
func (h Hooks) Create(c echo.Context) error {
	org, err := h.owned(c)
	if err != nil {
		return err
	}
	var body hookBody
	if err := decodeJSON(c, "Hook", &body); err != nil {
		return err
	}
	in := db.HookInput{Active: true, Events: payload.Events()}
	if err := body.apply(&in); err != nil {
		return err
	}
	if body.Config == nil || body.Config.URL == nil {
		return invalid("Hook", FieldProblem{Field: "url", Code: "missing_field"})
	}
	ctx := c.Request().Context()
	id, err := h.Webhooks.Create(ctx, org.Org.ID, CallerID(c), in)
	if err != nil {
		return hookErr(err)
	}
	hk, err := h.Store.HookOf(ctx, org.Org.ID, id)
	if err != nil {
		return err
	}
	return render.JSON(c, http.StatusCreated, orgHookJSON(c, org.Org.Login, hk))
}

// Get is GET /orgs/{org}/hooks/{hook_id}.
func (h Hooks) Get(c echo.Context) error {
	org, hk, err := h.hook(c)
	if err != nil {
		return err
	}
	return render.JSON(c, http.StatusOK, orgHookJSON(c, org.Org.Login, hk))
}

// Update is PATCH /orgs/{org}/hooks/{hook_id}: what the body leaves out
// stays as it was.
func (h Hooks) Update(c echo.Context) error {
	org, hk, err := h.hook(c)
	if err != nil {
		return err
	}
	var body hookBody
	if err := decodeJSON(c, "Hook", &body); err != nil {
		return err
	}
	in := db.HookInput{URL: hk.URL, Active: hk.Active, Events: hk.Events}
	if err := body.apply(&in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.Webhooks.Update(ctx, org.Org.ID, CallerID(c), hk.ID, in); err != nil {
		return hookErr(err)
	}
	if hk, err = h.Store.HookOf(ctx, org.Org.ID, hk.ID); err != nil {
		return hookErr(err)
	}
	return render.JSON(c, http.StatusOK, orgHookJSON(c, org.Org.Login, hk))
}

// Delete is DELETE /orgs/{org}/hooks/{hook_id}: 204.
func (h Hooks) Delete(c echo.Context) error {
	org, hk, err := h.hook(c)
	if err != nil {
		return err
	}
	if err := h.Webhooks.Delete(c.Request().Context(), org.Org.ID, CallerID(c), hk.ID); err != nil {
		return hookErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// HookDeliveryJSON is GitHub's hook-delivery-item.
type HookDeliveryJSON struct {
	ID             int64   `json:"id"`
	GUID           string  `json:"guid"`
	DeliveredAt    string  `json:"delivered_at"`
	Redelivery     bool    `json:"redelivery"`
	Duration       float64 `json:"duration"`
	Status         string  `json:"status"`
	StatusCode     int     `json:"status_code"`
	Event          string  `json:"event"`
	Action         *string `json:"action"`
	InstallationID *int64  `json:"installation_id"`
	RepositoryID   *int64  `json:"repository_id"`
	ThrottledAt    *string `json:"throttled_at"`
}

func hookDeliveryJSON(d db.Delivery) HookDeliveryJSON {
	at := d.AttemptedAt
	if at.IsZero() {
		at = d.CreatedAt
	}
	out := HookDeliveryJSON{ID: d.ID, GUID: d.GUID, DeliveredAt: *apiTime(at), Redelivery: d.Redelivery,
		Duration: d.Duration.Seconds(), Status: payload.DeliveryStatus(d.Attempts, d.StatusCode, d.Error),
		StatusCode: d.StatusCode, Event: d.Event}
	if d.Action != "" {
		out.Action = &d.Action
	}
	return out
}

// Deliveries is GET /orgs/{org}/hooks/{hook_id}/deliveries, newest first.
func (h Hooks) Deliveries(c echo.Context) error {
	_, hk, err := h.hook(c)
	if err != nil {
		return err
	}
	p, err := pagingOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	total, err := h.Store.CountDeliveries(ctx, hk.ID)
	if err != nil {
		return err
	}
	setLink(c, p, total)
	ds, err := h.Store.DeliveriesOf(ctx, hk.ID, min(p.Offset(), total), p.PerPage)
	if err != nil {
		return err
	}
	out := make([]HookDeliveryJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, hookDeliveryJSON(d))
	}
	return render.JSON(c, http.StatusOK, out)
}

// delivery loads the :delivery_id delivery of the :hook_id webhook.
func (h Hooks) delivery(c echo.Context) (db.OrgAccess, db.Hook, db.Delivery, error) {
	org, hk, err := h.hook(c)
	if err != nil {
		return org, hk, db.Delivery{}, err
	}
	id, err := strconv.ParseInt(c.Param("delivery_id"), 10, 64)
	if err != nil || id <= 0 {
		return org, hk, db.Delivery{}, notFound()
	}
	d, err := h.Store.DeliveryOf(c.Request().Context(), hk.ID, id)
	if errors.Is(err, db.ErrNotFound) {
		return org, hk, d, notFound()
	}
	return org, hk, d, err
}

// Delivery is GET /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}:
// GitHub's hook-delivery, with the body sent.
func (h Hooks) Delivery(c echo.Context) error {
	_, hk, d, err := h.delivery(c)
	if err != nil {
		return err
	}
	type exchange struct {
		Headers map[string]string `json:"headers"`
		Payload any               `json:"payload"`
	}
	headers := map[string]string{"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/patpolicy",
		"X-GitHub-Event": d.Event, "X-GitHub-Delivery": d.GUID, "X-GitHub-Hook-ID": strconv.FormatInt(hk.ID, 10)}
	if hk.HasSecret {
		headers["X-Hub-Signature-256"] = "sha256=" + maskedSecret
	}
	var response any
	if d.Response != "" {
		response = d.Response
	}
	return render.JSON(c, http.StatusOK, struct {
		HookDeliveryJSON
		URL      string   `json:"url"`
		Request  exchange `json:"request"`
		Response exchange `json:"response"`
	}{hookDeliveryJSON(d), hk.URL, exchange{Headers: headers, Payload: json.RawMessage(d.Payload)},
		exchange{Headers: map[string]string{}, Payload: response}})
}

// Redeliver is POST /orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts:
// a new delivery of the same body is queued (202).
func (h Hooks) Redeliver(c echo.Context) error {
	org, hk, d, err := h.delivery(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.Redeliver(c.Request().Context(), org.Org.ID, hk.ID, d.ID); err != nil {
		return hookErr(err)
	}
	return render.JSON(c, http.StatusAccepted, struct{}{})
}
