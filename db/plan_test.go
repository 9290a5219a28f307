package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"patpolicy/policy"
)

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN for query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("no plan for %s", query)
	}
	return lines
}

// fullScans returns the plan lines that read a whole table without an index.
func fullScans(plan []string) []string {
	var bad []string
	for _, line := range plan {
		if !strings.HasPrefix(line, "SCAN ") {
			continue
		}
		if strings.Contains(line, "USING INDEX") || strings.Contains(line, "USING COVERING INDEX") ||
			strings.Contains(line, "USING INTEGER PRIMARY KEY") {
			continue
		}
		bad = append(bad, line)
	}
	return bad
}

// planFixture is the demo data plus enough audit events that a bad plan
// could not hide behind tiny tables.
func planFixture(t *testing.T) demo {
	t.Helper()
	ctx := context.Background()
	d := seededTest(t)
	for _, login := range []string{"octo-org", "solo-org"} {
		evs := make([]policy.Event, 200)
		for i := range evs {
			evs[i] = policy.Event{Action: policy.Actions()[i%len(policy.Actions())], Details: fmt.Sprint(i)}
		}
		if err := d.s.inTx(ctx, func(tx *sql.Tx) error {
			return d.s.recordEvents(ctx, tx, "org_id", d.orgs[login], d.users["octo-owner"], evs)
		}); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestAuditQueryUsesIndex(t *testing.T) {
	d := planFixture(t)
	org := d.orgs["octo-org"]
	for _, tc := range []struct {
		name  string
		q     AuditQuery
		index string
	}{
		{"all actions", AuditQuery{OrgID: org, Limit: 50}, "audit_events_by_org"},
		{"all actions, next page", AuditQuery{OrgID: org, BeforeID: 100, Limit: 50}, "audit_events_by_org"},
		{"one action", AuditQuery{OrgID: org, Action: policy.ActionExpirationLimitSet, Limit: 50}, "audit_events_by_org_action"},
		{"one action, next page", AuditQuery{OrgID: org, Action: policy.ActionExpirationLimitSet, BeforeID: 100, Limit: 50}, "audit_events_by_org_action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query, args := auditQuery(tc.q)
			plan := queryPlan(t, d.s, query, args...)
			t.Logf("plan:\n%s", strings.Join(plan, "\n"))
			if bad := fullScans(plan); len(bad) > 0 {
				t.Errorf("full table scan: %q", bad)
			}
			// The page must come straight off the index in id order: no sort
			// of every matching row before LIMIT applies.
			for _, line := range plan {
				if strings.Contains(line, "TEMP B-TREE") {
					t.Errorf("plan sorts: %q", line)
				}
			}
			usesIndex := false
			for _, line := range plan {
				if strings.Contains(line, "audit_events") || strings.HasPrefix(line, "SEARCH a ") || strings.HasPrefix(line, "SCAN a ") {
					if strings.Contains(line, "INDEX "+tc.index+" ") || strings.HasSuffix(line, "INDEX "+tc.index) {
						usesIndex = true
					}
				}
			}
			if !usesIndex {
				t.Errorf("plan does not use %s", tc.index)
			}
		})
	}
}

// The listing queries below are copied from orgs.go and users.go (they are
// not exposed); keep them in step with the code.
const (
	membershipsOfSQL = `SELECT ` + orgColumns + `, m.role FROM memberships m
		 JOIN organizations o ON o.id = m.org_id
		 LEFT JOIN enterprises e ON e.id = o.enterprise_id
		 WHERE m.user_id = ? ORDER BY o.login`
	enterprisesOwnedBySQL = `SELECT e.id, e.slug, e.name, e.opted_in FROM enterprise_owners eo
		 JOIN enterprises e ON e.id = eo.enterprise_id
		 WHERE eo.user_id = ? ORDER BY e.name`
	credentialsForSQL = `SELECT id, login, email, name, password_hash FROM users WHERE login = ?1
		 UNION ALL
		 SELECT id, login, email, name, password_hash FROM users WHERE email = ?1
		 LIMIT 1`
	roleInSQL = `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`
)

func TestListingQueriesUseIndexes(t *testing.T) {
	d := planFixture(t)
	for _, tc := range []struct {
		name  string
		query string
		args  []any
	}{
		{"MembershipsOf", membershipsOfSQL, []any{d.users["mona"]}},
		{"EnterprisesOwnedBy", enterprisesOwnedBySQL, []any{d.users["ent-admin"]}},
		{"CredentialsFor", credentialsForSQL, []any{"mona"}},
		{"RoleIn", roleInSQL, []any{d.orgs["octo-org"], d.users["mona"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, d.s, tc.query, tc.args...)
			t.Logf("plan:\n%s", strings.Join(plan, "\n"))
			if bad := fullScans(plan); len(bad) > 0 {
				t.Errorf("full table scan: %q", bad)
			}
		})
	}

	// The copy of MembershipsOf's query must still answer like the function.
	ctx := context.Background()
	for login, id := range d.users {
		ms, err := d.s.MembershipsOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := d.s.read.QueryContext(ctx, membershipsOfSQL, id)
		if err != nil {
			t.Fatal(err)
		}
		var copied []Membership
		for rows.Next() {
			var m Membership
			if err := scanOrg(rows, &m.Org, &m.Role); err != nil {
				t.Fatal(err)
			}
			copied = append(copied, m)
		}
		rows.Close()
		if !slices.Equal(copied, ms) {
			t.Errorf("%s: copied query gives %+v, MembershipsOf %+v: update membershipsOfSQL", login, copied, ms)
		}
	}
}

func TestFullScansDetector(t *testing.T) {
	// The detector itself must tell a full scan from an index walk.
	d := seededTest(t)
	if bad := fullScans(queryPlan(t, d.s, `SELECT * FROM audit_events WHERE details = ?`, "x")); len(bad) == 0 {
		t.Error("a query on an unindexed column was not reported as a full scan")
	}
	if bad := fullScans(queryPlan(t, d.s, `SELECT * FROM audit_events WHERE org_id = ?`, 1)); len(bad) != 0 {
		t.Errorf("an indexed lookup was reported as a full scan: %q", bad)
	}
}
