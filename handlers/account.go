package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// AccountStore lists what a user belongs to.
type AccountStore interface {
	MembershipsOf(ctx context.Context, userID int64) ([]db.Membership, error)
	EnterprisesOwnedBy(ctx context.Context, userID int64) ([]db.Enterprise, error)
}

// Account serves the signed-in user's own lists.
type Account struct {
	Store AccountStore
}

// Home sends a visitor to their organizations, or an enterprise owner who
// belongs to no organization to their enterprises.
func (h Account) Home(c echo.Context) error {
	u := guard.User(c)
	if u.OwnsEnterprise {
		ms, err := h.Store.MembershipsOf(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return c.Redirect(http.StatusSeeOther, paths.Enterprises)
		}
	}
	return c.Redirect(http.StatusSeeOther, paths.Organizations)
}

// Organizations lists the user's organizations.
func (h Account) Organizations(c echo.Context) error {
	ms, err := h.Store.MembershipsOf(c.Request().Context(), guard.User(c).ID)
	if err != nil {
		return err
	}
	items := make([]views.OrgItem, 0, len(ms))
	for _, m := range ms {
		items = append(items, views.OrgItem{
			Login: m.Org.Login, Name: m.Org.Name, Role: roleName(m.Role), IsOwner: m.Role == db.RoleOwner,
		})
	}
	return render.Page(c, http.StatusOK, views.OrganizationsView(Chrome(c, "Your organizations"), items))
}

// Enterprises lists the enterprises the user owns.
func (h Account) Enterprises(c echo.Context) error {
	es, err := h.Store.EnterprisesOwnedBy(c.Request().Context(), guard.User(c).ID)
	if err != nil {
		return err
	}
	items := make([]views.EnterpriseItem, 0, len(es))
	for _, e := range es {
		items = append(items, views.EnterpriseItem{Slug: e.Slug, Name: e.Name})
	}
	return render.Page(c, http.StatusOK, views.EnterprisesView(Chrome(c, "Your enterprises"), items))
}

func roleName(r db.Role) string {
	if r == db.RoleOwner {
		return "Owner"
	}
	return "Member"
}
