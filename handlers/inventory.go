package handlers

import (
	"context"
	"encoding/csv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"patpolicy/db"
	"patpolicy/policy"
	"patpolicy/views"
	"patpolicy/web/guard"
	"patpolicy/web/paths"
	"patpolicy/web/render"
)

// InventoryStore reads token inventories and an enterprise's queues.
type InventoryStore interface {
	OrgPolicy(ctx context.Context, orgID int64) (db.OrgPolicy, error)
	MembersOf(ctx context.Context, orgID int64) ([]db.Member, error)
	OrgsOfEnterprise(ctx context.Context, entID int64) ([]db.Org, error)
	ListInventory(ctx context.Context, q db.InventoryQuery) (db.InventoryPage, error)
	ListGrantsAcross(ctx context.Context, orgIDs []int64, q db.GrantQuery) (db.GrantPage, error)
}

// Inventory serves the token inventories: every token that can reach an
// organization, or any organization of an enterprise, of both kinds, with
// how each stands there; and the pending requests across an enterprise.
type Inventory struct {
	Store InventoryStore
	Now   func() time.Time
}

// inventoryPageSize is how many tokens a page lists; csvPageSize how many
// an export reads at a time.
const (
	inventoryPageSize = 50
	csvPageSize       = 500
)

// inventoryScope is what one inventory covers: its organizations (one, or
// an enterprise's), their members, and where it lives.
type inventoryScope struct {
	orgs       []db.Org
	enterprise bool
	base       string
	name       string // for the CSV file's name
}

// inventoryFilter is an inventory's filters as typed in the URL.
type inventoryFilter struct {
	org, kind, owner, status string
}

func (f inventoryFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"organization": f.org, "kind": f.kind, "owner": f.owner, "status": f.status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// OrgInventory lists every token that can reach the organization.
func (h Inventory) OrgInventory(c echo.Context) error {
	org := guard.Org(c)
	base := paths.OrgInventory(org.Login)
	p, q, bad, err := h.query(c, inventoryScope{orgs: []db.Org{org}, base: base})
	if err != nil {
		return err
	}
	p.Nav = nav(org, base)
	p.Lead = "Every personal access token of " + org.Login + "'s members that can reach it: fine-grained tokens for it, and every member's classic tokens."
	return h.page(c, p, q, bad, views.InventoryView, "All tokens · "+org.Login)
}

// EnterpriseInventory lists every token that can reach the enterprise's
// organizations, a row per token and organization.
func (h Inventory) EnterpriseInventory(c echo.Context) error {
	ent := guard.Enterprise(c)
	orgs, err := h.Store.OrgsOfEnterprise(c.Request().Context(), ent.ID)
	if err != nil {
		return err
	}
	p, q, bad, err := h.query(c, inventoryScope{orgs: orgs, enterprise: true, base: paths.EnterpriseInventory(ent.Slug)})
	if err != nil {
		return err
	}
	p.Enterprise = views.EnterpriseNav{Slug: ent.Slug, Name: ent.Name, Current: "inventory"}
	p.Lead = "Every personal access token that can reach the organizations of " + ent.Name + ", a row for each organization it reaches."
	return h.page(c, p, q, bad, views.EnterpriseInventoryView, "All tokens · "+ent.Slug)
}

func (h Inventory) page(c echo.Context, p views.InventoryPage, q db.InventoryQuery, bad string,
	view func(views.Chrome, views.InventoryPage) templ.Component, title string) error {
	if bad != "" {
		p.Error = bad
		return render.Page(c, http.StatusBadRequest, view(Chrome(c, title), p))
	}
	page, err := h.Store.ListInventory(c.Request().Context(), q)
	if err != nil {
		return err
	}
	for _, r := range page.Rows {
		p.Rows = append(p.Rows, inventoryRow(r, q.Now))
	}
	list := paths.List{Path: p.BaseURL, Filter: urlFilter(c)}
	if page.HasNewer {
		if page.Newer == 0 {
			p.NewerURL = list.URL()
		} else {
			p.NewerURL = list.After(page.Newer)
		}
	}
	if page.Older != 0 {
		p.OlderURL = list.Before(page.Older)
		p.More = len(page.Rows) < q.Limit
	}
	return render.Page(c, http.StatusOK, view(Chrome(c, title), p))
}

// urlFilter is the request's filters, for the links to other pages.
func urlFilter(c echo.Context) url.Values {
	return inventoryFilter{org: c.QueryParam("organization"), kind: c.QueryParam("kind"),
		owner: c.QueryParam("owner"), status: c.QueryParam("status")}.values()
}

// query reads the inventory's filters into the page's controls and the
// store's query; bad is the first filter that cannot be applied.
func (h Inventory) query(c echo.Context, sc inventoryScope) (p views.InventoryPage, q db.InventoryQuery, bad string, err error) {
	ctx := c.Request().Context()
	f := inventoryFilter{kind: c.QueryParam("kind"), owner: c.QueryParam("owner"), status: c.QueryParam("status")}
	if sc.enterprise {
		f.org = c.QueryParam("organization")
	}
	q = db.InventoryQuery{Now: h.Now(), Limit: inventoryPageSize, Kind: policy.Kind(f.kind), Status: policy.InventoryStatus(f.status)}
	p = views.InventoryPage{BaseURL: sc.base, Filtered: f != inventoryFilter{}}
	p.CSVURL = paths.List{Path: paths.InventoryCSV(sc.base), Filter: f.values()}.URL()
	var problems []string

	if sc.enterprise {
		p.Orgs = []views.Option{{Value: "", Label: "Any organization", Selected: f.org == ""}}
		for _, o := range sc.orgs {
			p.Orgs = append(p.Orgs, views.Option{Value: o.Login, Label: o.Login, Selected: o.Login == f.org})
		}
		if f.org != "" {
			i := slices.IndexFunc(sc.orgs, func(o db.Org) bool { return o.Login == f.org })
			if i < 0 {
				problems = append(problems, "There is no organization named “"+f.org+"” in this enterprise.")
			} else {
				sc.orgs = sc.orgs[i : i+1]
			}
		}
	}
	// Owners: the members of the organizations covered, by login.
	owners := map[string]int64{}
	for _, o := range sc.orgs {
		pol, err := h.Store.OrgPolicy(ctx, o.ID)
		if err != nil {
			return p, q, "", err
		}
		q.Orgs = append(q.Orgs, db.InventoryOrg{ID: o.ID, Login: o.Login, Effective: pol.Effective()})
		members, err := h.Store.MembersOf(ctx, o.ID)
		if err != nil {
			return p, q, "", err
		}
		for _, m := range members {
			owners[m.Login] = m.ID
		}
	}
	logins := slices.Sorted(maps.Keys(owners))
	p.Owners = []views.Option{{Value: "", Label: "Any owner", Selected: f.owner == ""}}
	for _, l := range logins {
		p.Owners = append(p.Owners, views.Option{Value: l, Label: l, Selected: l == f.owner})
	}
	if f.owner != "" {
		if q.OwnerID = owners[f.owner]; q.OwnerID == 0 {
			problems = append(problems, "“"+f.owner+"” is not a member here.")
		}
	}
	p.Kinds = []views.Option{{Value: "", Label: "Any kind", Selected: f.kind == ""}}
	for _, k := range []policy.Kind{policy.KindFineGrained, policy.KindClassic} {
		p.Kinds = append(p.Kinds, views.Option{Value: string(k), Label: kindLabel(k), Selected: string(k) == f.kind})
	}
	if f.kind != "" && kindLabel(q.Kind) == "" {
		problems = append(problems, "There is no kind of token named “"+f.kind+"”.")
	}
	p.Status = []views.Option{{Value: "", Label: "Any status", Selected: f.status == ""}}
	for _, s := range policy.InventoryStatuses {
		p.Status = append(p.Status, views.Option{Value: string(s), Label: s.Label(), Selected: string(s) == f.status})
	}
	if f.status != "" && !q.Status.Valid() {
		problems = append(problems, "There is no status named “"+f.status+"”.")
	}
	// A page link that cannot be read starts the list again.
	q.Before, err = cursor(c.QueryParam(paths.BeforeParam))
	if err == nil {
		q.After, err = cursor(c.QueryParam(paths.AfterParam))
	}
	if err != nil {
		p.Notice = "The page link could not be read, so this is the first page."
		q.Before, q.After = 0, 0
	}
	if len(problems) > 0 {
		bad = problems[0]
	}
	return p, q, bad, nil
}

func kindLabel(k policy.Kind) string {
	switch k {
	case policy.KindFineGrained:
		return "Fine-grained"
	case policy.KindClassic:
		return "Classic"
	}
	return ""
}

func inventoryRow(r db.InventoryRow, now time.Time) views.InventoryRow {
	class := "status-active"
	switch r.Status {
	case policy.InventoryPending, policy.InventoryExpiring:
		class = "status-pending"
	case policy.InventoryBlocked:
		class = "status-denied"
	case policy.InventoryInactive:
		class = "status-expired"
	}
	return views.InventoryRow{
		Name: r.Name, Org: r.OrgLogin, Owner: r.OwnerLogin, Kind: kindLabel(r.Kind), Scopes: strings.Join(r.Scopes, ", "),
		Status: r.Status.Label(), StatusClass: class, Expires: expiresText(r.ExpiresAt, now), LastUsed: lastUsedText(r.LastUsed, now),
	}
}

// OrgInventoryCSV exports the organization's filtered inventory.
func (h Inventory) OrgInventoryCSV(c echo.Context) error {
	org := guard.Org(c)
	_, q, bad, err := h.query(c, inventoryScope{orgs: []db.Org{org}, base: paths.OrgInventory(org.Login)})
	if err != nil {
		return err
	}
	return h.csv(c, q, bad, org.Login+"-tokens.csv", false)
}

// EnterpriseInventoryCSV exports the enterprise's filtered inventory.
func (h Inventory) EnterpriseInventoryCSV(c echo.Context) error {
	ent := guard.Enterprise(c)
	orgs, err := h.Store.OrgsOfEnterprise(c.Request().Context(), ent.ID)
	if err != nil {
		return err
	}
	_, q, bad, err := h.query(c, inventoryScope{orgs: orgs, enterprise: true, base: paths.EnterpriseInventory(ent.Slug)})
	if err != nil {
		return err
	}
	return h.csv(c, q, bad, ent.Slug+"-tokens.csv", true)
}

// csv streams the inventory as CSV, a page of the store's at a time, so
// that an export of any size holds one page in memory.
func (h Inventory) csv(c echo.Context, q db.InventoryQuery, bad, filename string, withOrg bool) error {
	if bad != "" {
		return echo.NewHTTPError(http.StatusBadRequest, bad)
	}
	q.Limit, q.Before, q.After = csvPageSize, 0, 0
	ctx := c.Request().Context()
	// The first page is read before anything is sent, so that a failing
	// store still answers with an error page.
	page, err := h.Store.ListInventory(ctx, q)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	header := []string{"Token", "Owner", "Kind", "Scopes", "Status", "Expires", "Last used here"}
	if withOrg {
		header = slices.Insert(header, 1, "Organization")
	}
	if err := w.Write(header); err != nil {
		return err
	}
	for {
		for _, r := range page.Rows {
			rec := []string{cell(r.Name), cell(r.OwnerLogin), kindLabel(r.Kind), cell(strings.Join(r.Scopes, " ")),
				r.Status.Label(), csvTime(r.ExpiresAt, "never"), csvTime(r.LastUsed, "never")}
			if withOrg {
				rec = slices.Insert(rec, 1, cell(r.OrgLogin))
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil || page.Older == 0 {
			return err
		}
		q.Before = page.Older
		if page, err = h.Store.ListInventory(ctx, q); err != nil {
			// The answer has begun: it can only stop short.
			return err
		}
	}
}

// cell keeps text people typed from reading as a formula in a spreadsheet:
// one starting with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

// enterpriseRequestsPageSize is how many requests a page of an
// enterprise's queue lists.
const enterpriseRequestsPageSize = 50

// EnterpriseRequests lists the pending requests of every organization of
// the enterprise, newest first, each linking to its organization's review
// page.
func (h Inventory) EnterpriseRequests(c echo.Context) error {
	ent := guard.Enterprise(c)
	ctx := c.Request().Context()
	orgs, err := h.Store.OrgsOfEnterprise(ctx, ent.ID)
	if err != nil {
		return err
	}
	p := views.EnterpriseRequestsPage{Enterprise: views.EnterpriseNav{Slug: ent.Slug, Name: ent.Name, Current: "personal-access-token-requests"}}
	before, err := cursor(c.QueryParam(paths.BeforeParam))
	after := int64(0)
	if err == nil {
		after, err = cursor(c.QueryParam(paths.AfterParam))
	}
	if err != nil {
		p.Notice = "The page link could not be read, so this is the first page."
		before, after = 0, 0
	}
	ids := make([]int64, len(orgs))
	logins := map[int64]string{}
	for i, o := range orgs {
		ids[i], logins[o.ID] = o.ID, o.Login
	}
	page, err := h.Store.ListGrantsAcross(ctx, ids, db.GrantQuery{Status: policy.GrantPending,
		Before: before, After: after, Limit: enterpriseRequestsPageSize})
	if err != nil {
		return err
	}
	now := h.Now()
	for _, t := range page.Tokens {
		org := logins[t.OrgID]
		p.Rows = append(p.Rows, views.EnterpriseRequestRow{Org: org, Requester: t.OwnerLogin, Token: t.Name,
			URL: paths.OrgRequest(org, t.Grant.ID), Created: ago(t.Grant.CreatedAt, now)})
	}
	list := paths.List{Path: paths.EnterprisePendingRequests(ent.Slug)}
	if n := len(page.Tokens); n > 0 {
		if page.HasNewer {
			p.NewerURL = list.After(page.Tokens[0].Grant.ID)
		}
		if page.HasOlder {
			p.OlderURL = list.Before(page.Tokens[n-1].Grant.ID)
		}
	}
	return render.Page(c, http.StatusOK, views.EnterpriseRequestsView(Chrome(c, "Pending requests · "+ent.Slug), p))
}
