package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/service"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
	"patpolicy/web/session"
)

// RegenerateForm asks for the expiration of one of the user's tokens
// given a new secret.
func (h Developer) RegenerateForm(c echo.Context) error {
	t, err := h.ownToken(c, kindOfPath(c))
	if err != nil {
		return err
	}
	return h.renderRegenerate(c, http.StatusOK, t, strconv.Itoa(policy.DefaultExpiration), nil)
}

// Regenerate gives one of the user's tokens a new secret, then shows it
// once on the token's page. The old secret stops working at once.
func (h Developer) Regenerate(c echo.Context) error {
	kind := kindOfPath(c)
	t, err := h.ownToken(c, kind)
	if err != nil {
		return err
	}
	form, err := formOf(c)
	if err != nil {
		return err
	}
	expiration := form.Get("expiration")
	r, err := h.Tokens.Regenerate(c.Request().Context(), service.Regeneration{UserID: t.UserID, TokenID: t.ID, Expiration: expiration})
	var invalid *service.Invalid
	switch {
	case errors.Is(err, db.ErrNotFound):
		return echo.ErrNotFound
	case errors.As(err, &invalid):
		return h.renderRegenerate(c, http.StatusUnprocessableEntity, t, expiration, invalid.Errors)
	case errors.Is(err, service.ErrKeepsChanging):
		return echo.NewHTTPError(http.StatusConflict, "The organization's settings changed while the token was being regenerated, and nothing was changed. Submit the form again.")
	case err != nil:
		return err
	}
	if err := session.SetNewToken(c, r.ID, r.Secret); err != nil {
		return err
	}
	msg := "Token “" + t.Name + "” regenerated. Its old secret no longer works."
	if t.Grant != nil && r.Status == policy.GrantPending && t.Grant.Status != policy.GrantPending {
		msg += " An owner of " + t.OrgLogin + " must approve it again."
	}
	if err := session.SetFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, paths.Token(kind, t.ID))
}

// renderRegenerate shows the regeneration form of token t with the
// expiration chosen and the problems found.
func (h Developer) renderRegenerate(c echo.Context, status int, t db.Token, expiration string, errs policy.Errors) error {
	f := views.RegenerateForm{Classic: t.Kind == policy.KindClassic, Action: paths.RegenerateToken(t.Kind, t.ID),
		TokenURL: paths.Token(t.Kind, t.ID), Name: t.Name, Owner: t.OrgLogin, Expirations: expirationOptions(expiration)}
	f.Errors, f.Summary = errorMap(errs)
	if t.OrgID != 0 {
		targets, err := h.Store.TokenTargets(c.Request().Context(), guard.User(c).ID)
		if err != nil {
			return err
		}
		for _, target := range targets {
			if target.OrgID != t.OrgID {
				continue
			}
			if max := target.Rules.MaxLifetime(); max > 0 {
				limitExpirations(f.Expirations, max)
				f.ExpirationHelp = t.OrgLogin + " requires fine-grained tokens to expire within " + strconv.Itoa(max) + " days."
			}
			f.BackToPending = t.Grant != nil && policy.Regranted(t.Grant.Status, target.Rules.NeedsApproval()) != t.Grant.Status
		}
	}
	return render.Page(c, status, views.RegenerateView(Chrome(c, "Regenerate “"+t.Name+"”"), f))
}
