package server_test

import (
	"context"
	"slices"
	"testing"

	"patpolicy/db/dbtest"

	"patpolicy/db"
	"patpolicy/server"
)

// Every route the server answers is declared in the route table with an
// rule of who may reach it, and the table holds nothing the server does not answer: a
// route added any other way fails here.
func TestEveryRouteSaysWhoMayReachIt(t *testing.T) {
	store, err := db.Open(context.Background(), dbtest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e := server.New(testConfig(store))

	declared := map[string]server.Rule{}
	for _, r := range server.Rules() {
		key := r.Method + " " + r.Path
		if _, dup := declared[key]; dup {
			t.Errorf("%s is declared twice", key)
		}
		declared[key] = r
		known := []server.Who{server.Anonymous, server.SignedIn, server.OrgOwner, server.EnterpriseOwner, server.Token}
		if !slices.Contains(known, r.Who) {
			t.Errorf("%s has no rule of who may reach it (%q)", key, r.Who)
		}
		if (r.Who == server.Token) != !r.Needs.IsZero() {
			t.Errorf("%s: Needs %v goes with token routes, and only with them", key, r.Needs)
		}
	}
	served := map[string]bool{}
	for _, r := range e.Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if _, ok := declared[key]; !ok {
			t.Errorf("%s is served without an rule of who may reach it in the route table", key)
		}
	}
	for key := range declared {
		if !served[key] {
			t.Errorf("%s is in the route table but not served", key)
		}
	}
	if len(declared) < 60 {
		t.Errorf("only %d routes declared", len(declared))
	}
}
