package server_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"patpolicy/web/paths"
)

// inventoryRows lists a page's inventory rows, each as its cells joined by
// " | ".
func inventoryRows(p *page) []string {
	var rows []string
	p.doc.Find(".inventory-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) {
			cells = append(cells, strings.Join(strings.Fields(td.Text()), " "))
		})
		rows = append(rows, strings.Join(cells, " | "))
	})
	return rows
}

// rowsStart checks that each row starts with the wanted cells.
func rowsStart(t *testing.T, rows, want []string) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("rows %q, want %d", rows, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(rows[i], w) {
			t.Errorf("row %d = %q, want it to start %q", i, rows[i], w)
		}
	}
}

func TestInventoryIsForOwnersOnly(t *testing.T) {
	a := newApp(t)
	for _, path := range []string{paths.OrgInventory("octo-org"), paths.InventoryCSV(paths.OrgInventory("octo-org"))} {
		a.as("mona").get(path).status(http.StatusNotFound)
		a.as("ent-admin").get(path).status(http.StatusNotFound)
		a.as("octo-owner").get(path).status(http.StatusOK)
	}
	for _, path := range []string{paths.EnterpriseInventory("octo-ent"), paths.InventoryCSV(paths.EnterpriseInventory("octo-ent")),
		paths.EnterprisePendingRequests("octo-ent")} {
		a.as("octo-owner").get(path).status(http.StatusNotFound)
		a.as("mona").get(path).status(http.StatusNotFound)
		a.as("ent-admin").get(path).status(http.StatusOK)
	}
	// Anyone signed out is sent to sign in.
	a.client().get(paths.OrgInventory("octo-org")).redirectsTo(paths.Login)
}

func TestInventoryListsEveryKindWithItsStatus(t *testing.T) {
	a := newApp(t)
	a.newClassic("mona", "mona-ci", 30, "repo", "read:org")
	a.newClassic("ent-admin", "not-a-member", 30, "repo")
	owner := a.as("octo-owner")
	p := owner.get(paths.OrgInventory("octo-org")).status(http.StatusOK)
	p.contains(`nav[aria-label="Organization settings"] a[aria-current="page"]`, "All tokens")
	var cols []string
	p.doc.Find(".inventory-table thead th").Each(func(_ int, th *goquery.Selection) { cols = append(cols, th.Text()) })
	if want := []string{"Token", "Owner", "Kind", "Status", "Expires", "Last used here"}; !slices.Equal(cols, want) {
		t.Errorf("columns %q, want %q", cols, want)
	}
	rows := inventoryRows(p)
	// The enterprise restricts classic tokens in octo-org: mona's is
	// blocked there; ent-admin is no member, so theirs is not listed.
	want := []string{
		"mona-ci | mona | Classic repo, read:org | Blocked by policy",
		"owner-automation | octo-owner | Fine-grained | Active",
		"ci-reader | hubot | Fine-grained | Pending",
		"deploy-bot | mona | Fine-grained | Pending",
	}
	rowsStart(t, rows, want)

	// Each filter, by GET, as the form sends it.
	for query, names := range map[string][]string{
		"?kind=classic":                       {"mona-ci"},
		"?kind=fine_grained&status=pending":   {"ci-reader", "deploy-bot"},
		"?owner=mona":                         {"mona-ci", "deploy-bot"},
		"?status=blocked":                     {"mona-ci"},
		"?status=active":                      {"owner-automation"},
		"?status=expiring":                    nil,
		"?owner=hubot&kind=classic":           nil,
		"?status=inactive&kind=fine_grained":  nil,
		"?owner=octo-owner&status=active&x=1": {"owner-automation"},
	} {
		p := owner.get(paths.OrgInventory("octo-org") + query).status(http.StatusOK)
		var got []string
		for _, r := range inventoryRows(p) {
			got = append(got, strings.SplitN(r, " | ", 2)[0])
		}
		if !slices.Equal(got, names) {
			t.Errorf("%s: %q, want %q", query, got, names)
		}
		if names == nil {
			p.contains(".blankslate", "No tokens match these filters")
		}
	}
	owner.get(paths.OrgInventory("octo-org")+"?status=gone").status(http.StatusBadRequest).contains(`[role="alert"]`, "no status")
	owner.get(paths.OrgInventory("octo-org")+"?owner=ent-admin").status(http.StatusBadRequest).contains(`[role="alert"]`, "not a member")
	// The filters survive into the CSV link.
	if href := owner.get(paths.OrgInventory("octo-org")+"?kind=classic").attr(`a[download]`, "href"); href != paths.InventoryCSV(paths.OrgInventory("octo-org"))+"?kind=classic" {
		t.Errorf("Download CSV links to %q", href)
	}
}

func TestInventoryCSVExportsTheFilteredListSafely(t *testing.T) {
	a := newApp(t)
	a.newClassic("mona", "=HYPERLINK(\"http://evil\")", 30, "repo")
	a.newClassic("mona", "-2+3", 30)
	a.newClassic("hubot", "plain", 30, "repo")
	p := a.as("octo-owner").get(paths.InventoryCSV(paths.OrgInventory("octo-org")) + "?owner=mona&kind=classic").status(http.StatusOK)
	if ct := p.res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := p.res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "octo-org") {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Token", "Owner", "Kind", "Scopes", "Status", "Expires", "Last used here"},
		{"'-2+3", "mona", "Classic", "", "Blocked by policy"},
		{"'=HYPERLINK(\"http://evil\")", "mona", "Classic", "repo", "Blocked by policy"},
	}
	if len(records) != len(want) {
		t.Fatalf("records %q", records)
	}
	for i, w := range want {
		if !slices.Equal(records[i][:len(w)], w) {
			t.Errorf("record %d = %q, want %q…", i, records[i], w)
		}
	}
	if records[1][6] != "never" {
		t.Errorf("last used %q, want never", records[1][6])
	}
	a.as("octo-owner").get(paths.InventoryCSV(paths.OrgInventory("octo-org")) + "?kind=other").status(http.StatusBadRequest)
}

func TestInventoryShowsClassicLastUseInEachOrganization(t *testing.T) {
	a := newApp(t)
	secret := a.newClassic("mona", "mona-ci", 30, "repo", "read:org")
	// solo-org allows classic tokens: the call reaches it.
	a.api(http.MethodGet, "/orgs/solo-org", secret, nil).want(http.StatusOK)
	if err := a.store.FlushLastUses(context.Background()); err != nil {
		t.Fatal(err)
	}
	owner := a.as("octo-owner")
	solo := inventoryRows(owner.get(paths.OrgInventory("solo-org") + "?kind=classic").status(http.StatusOK))
	if len(solo) != 1 || !strings.HasSuffix(solo[0], "| Last used just now") {
		t.Errorf("solo-org: %q", solo)
	}
	octo := inventoryRows(owner.get(paths.OrgInventory("octo-org") + "?kind=classic").status(http.StatusOK))
	if len(octo) != 1 || !strings.HasSuffix(octo[0], "| Never used") {
		t.Errorf("octo-org, never reached: %q", octo)
	}
}

func TestEnterpriseInventoryAndRequestsSpanItsOrganizations(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	// second-org, of octo-ent too, owned by second-owner.
	ent, err := a.store.EnterpriseOwnedBy(ctx, "octo-ent", a.userID("ent-admin"))
	if err != nil {
		t.Fatal(err)
	}
	ownerID, err := a.store.CreateUser(ctx, "second-owner", "second-owner@example.com", "", passwordHash(demoPassword))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.CreateOrganization(ctx, "second-org", "Second Org", ent.ID, ownerID); err != nil {
		t.Fatal(err)
	}
	a.newClassic("second-owner", "second-ci", 30, "repo")
	admin := a.as("ent-admin")
	p := admin.get(paths.EnterpriseInventory("octo-ent")).status(http.StatusOK)
	p.contains(`nav[aria-label="Enterprise settings"] a[aria-current="page"]`, "All tokens")
	rows := inventoryRows(p)
	want := []string{
		"second-ci | second-org | second-owner | Classic repo | Blocked by policy",
		"owner-automation | octo-org | octo-owner | Fine-grained | Active",
		"ci-reader | octo-org | hubot | Fine-grained | Pending",
		"deploy-bot | octo-org | mona | Fine-grained | Pending",
	}
	rowsStart(t, rows, want)
	if got := inventoryRows(admin.get(paths.EnterpriseInventory("octo-ent") + "?organization=second-org").status(http.StatusOK)); len(got) != 1 {
		t.Errorf("second-org only: %q", got)
	}
	admin.get(paths.EnterpriseInventory("octo-ent") + "?organization=solo-org").status(http.StatusBadRequest)
	records, err := csv.NewReader(strings.NewReader(admin.get(paths.InventoryCSV(paths.EnterpriseInventory("octo-ent"))).status(http.StatusOK).body)).ReadAll()
	if err != nil || len(records) != 5 || records[0][1] != "Organization" || records[1][1] != "second-org" {
		t.Errorf("enterprise CSV: %q, %v", records, err)
	}

	// A request in second-org joins the queue across organizations.
	second := a.addRequest("second-owner", "second-org", "second-request", nil)
	q := admin.get(paths.EnterprisePendingRequests("octo-ent")).status(http.StatusOK)
	q.contains(`nav[aria-label="Enterprise settings"] a[aria-current="page"]`, "Pending requests")
	var links []string
	q.doc.Find("tbody tr td a").Each(func(_ int, s *goquery.Selection) {
		href, _ := s.Attr("href")
		links = append(links, s.Text()+" "+href)
	})
	wantLinks := []string{
		"second-request " + paths.OrgRequest("second-org", second),
		"ci-reader " + paths.OrgRequest("octo-org", a.token("hubot", "ci-reader").Grant.ID),
		"deploy-bot " + paths.OrgRequest("octo-org", a.token("mona", "deploy-bot").Grant.ID),
	}
	if !slices.Equal(links, wantLinks) {
		t.Errorf("requests %q, want %q", links, wantLinks)
	}
}
