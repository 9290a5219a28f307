package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	scaleOwner    = "scale-owner" // db.ScaleOwnerLogin
	scaleOrg      = "scale-org-"  // scale-org-01 … scale-org-10
	scaleUser     = "scale-user-"
	demoPassword  = "demo-password"
	tokenDuration = "30" // days; every expiration choice the form offers is 7, 30, 60, 90, 366 or none
)

// setup finds the scale organizations and the queue's filter values,
// creates the API tokens through the forms and approves them, signs the
// clients' owner sessions in, and checks each kind of call once.
func setup(ctx context.Context, base string, rt http.RoundTripper, api *http.Client, clients, apiTokens int, runID string) (*target, []*browser, error) {
	t := &target{base: base}
	owner := newBrowser(base, rt, time.Minute)
	if err := owner.signIn(ctx, scaleOwner, demoPassword); err != nil {
		return nil, nil, fmt.Errorf("owner sign-in: %w", err)
	}
	a, err := owner.get(ctx, "/settings/organizations")
	if err != nil {
		return nil, nil, err
	}
	for _, h := range linksWithPrefix(a.page(), "/organizations/"+scaleOrg) {
		org := strings.Split(strings.TrimPrefix(h, "/organizations/"), "/")[0]
		if !slices.Contains(t.orgs, org) {
			t.orgs = append(t.orgs, org)
		}
	}
	slices.Sort(t.orgs)
	if len(t.orgs) == 0 {
		return nil, nil, fmt.Errorf("%s owns no %s* organization: is this a --demo-scale database?", scaleOwner, scaleOrg)
	}
	t.mainOrg = t.orgs[0]

	queue := "/organizations/" + t.mainOrg + "/settings/personal-access-token-requests"
	a, err = owner.get(ctx, queue)
	if err != nil {
		return nil, nil, err
	}
	if a.status != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %d", queue, a.status)
	}
	nonEmpty := func(vs []string) []string { return slices.DeleteFunc(vs, func(s string) bool { return s == "" }) }
	t.owners = nonEmpty(selectOptions(a.page(), "owner"))
	t.repos = nonEmpty(selectOptions(a.page(), "repository"))
	t.perms = nonEmpty(selectOptions(a.page(), "permission"))
	if len(t.owners) == 0 || len(t.repos) == 0 || len(t.perms) == 0 {
		return nil, nil, fmt.Errorf("the queue page offers no filters (owners %d, repositories %d, permissions %d)", len(t.owners), len(t.repos), len(t.perms))
	}
	var members []string
	for _, o := range t.owners {
		if strings.HasPrefix(o, scaleUser) {
			members = append(members, o)
		}
	}
	if len(members) == 0 {
		return nil, nil, fmt.Errorf("no %s* member in %s", scaleUser, t.mainOrg)
	}

	// The owner's own token for the administration endpoints: approved at
	// once, as an owner's request needs no review.
	secret, pending, err := owner.newFineGrained(ctx, url.Values{
		"name": {"loadgen-admin-" + runID}, "expiration": {tokenDuration}, "resource_owner": {t.mainOrg},
		"repository_selection": {"all"}, "perm_metadata": {"read"}, "perm_organization_administration": {"write"},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("owner token: %w", err)
	}
	if pending {
		return nil, nil, fmt.Errorf("the owner's token is pending: an owner's request should be approved at once")
	}
	t.ownerToken = secret

	// Members' tokens: requested through the form by members, approved by
	// the owner from the queue filtered by the member (newest first).
	nMembers := min(apiTokens, 10, len(members))
	memberBrowsers := make([]*browser, nMembers)
	for i := range nMembers {
		b := newBrowser(base, rt, time.Minute)
		if err := b.signIn(ctx, members[i], demoPassword); err != nil {
			return nil, nil, fmt.Errorf("member sign-in: %w", err)
		}
		memberBrowsers[i] = b
	}
	for i := range apiTokens {
		b := memberBrowsers[i%nMembers]
		name := fmt.Sprintf("loadgen-%s-%d", runID, i)
		secret, pending, err := b.newFineGrained(ctx, url.Values{
			"name": {name}, "expiration": {tokenDuration}, "resource_owner": {t.mainOrg},
			"justification":        {"Load test: reads every repository's metadata."},
			"repository_selection": {"all"}, "perm_metadata": {"read"}, "perm_contents": {"read"},
		})
		if err != nil {
			return nil, nil, fmt.Errorf("member token: %w", err)
		}
		if pending {
			if err := approveByName(ctx, owner, queue, b.login, name); err != nil {
				return nil, nil, err
			}
		}
		t.memberTokens = append(t.memberTokens, secret)
	}

	// Check each kind of API call once before the clock starts.
	for _, call := range []struct{ path, token string }{
		{"/repos/" + t.mainOrg + "/" + t.repos[0], t.memberTokens[0]},
		{"/orgs/" + t.mainOrg + "/personal-access-token-requests?per_page=30", t.ownerToken},
	} {
		a, err := apiGet(ctx, api, base, call.path, call.token)
		if err != nil {
			return nil, nil, err
		}
		if a.status != http.StatusOK {
			return nil, nil, fmt.Errorf("API GET %s: %d %.300s", call.path, a.status, a.body)
		}
	}

	// One owner session per client, signed in through the form (a bcrypt
	// each, four at a time).
	sessions := make([]*browser, clients)
	errs := make([]error, clients)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b := newBrowser(base, rt, time.Minute)
			errs[i] = b.signIn(ctx, scaleOwner, demoPassword)
			sessions[i] = b
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("client sign-in: %w", err)
		}
	}
	return t, sessions, nil
}

// approveByName finds the request named name in the queue filtered by its
// requester and approves it.
func approveByName(ctx context.Context, owner *browser, queue, requester, name string) error {
	path := queue + "?" + url.Values{"owner": {requester}}.Encode()
	for range 20 { // newest first: it is on the first page unless pages move
		a, err := owner.get(ctx, path)
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, a.status)
		}
		for _, r := range grantRows(a.page()) {
			if r.name == name {
				a, err := owner.post(ctx, queue+"/"+r.id+"/approve", nil)
				if err != nil {
					return err
				}
				if a.status != http.StatusSeeOther {
					return fmt.Errorf("approve %s: %d", name, a.status)
				}
				return nil
			}
		}
		next := ""
		for _, h := range linksWithPrefix(a.page(), queue+"?") {
			if strings.Contains(h, "before=") {
				next = h
			}
		}
		if next == "" {
			break
		}
		path = next
	}
	return fmt.Errorf("request %q of %s not found in the queue", name, requester)
}
