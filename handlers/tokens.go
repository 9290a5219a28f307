package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"patpolicy/views"
	"patpolicy/web/access"
	"patpolicy/web/render"
)

// ActiveTokens lists the fine-grained tokens that may reach the
// organization. No token can be issued yet, so the list is empty.
func (h OrgSettings) ActiveTokens(c echo.Context) error {
	org := access.Org(c)
	return render.Page(c, http.StatusOK, views.EmptyListView(Chrome(c, "Active tokens · "+org.Login), views.EmptyListPage{
		Nav: nav(org, orgBase(org)+"/personal-access-tokens/active"), Heading: "Active tokens",
		Lead:  "Fine-grained personal access tokens that have access to this organization.",
		Empty: "No active tokens",
	}))
}

// PendingRequests lists the token requests waiting for an owner. No token
// can be requested yet, so the queue is empty.
func (h OrgSettings) PendingRequests(c echo.Context) error {
	org := access.Org(c)
	return render.Page(c, http.StatusOK, views.EmptyListView(Chrome(c, "Pending requests · "+org.Login), views.EmptyListPage{
		Nav: nav(org, orgBase(org)+"/personal-access-token-requests"), Heading: "Pending requests",
		Lead:  "Fine-grained personal access tokens waiting for an owner's approval.",
		Empty: "No pending requests",
	}))
}
