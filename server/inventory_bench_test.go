package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"patpolicy/db"
	"patpolicy/web/paths"
)

// The inventory's pages on the benchmarks' scale dataset, to which
// inventoryBench adds, once, what the inventory also lists: 20,000 classic
// tokens of the organizations' members (a tenth never expiring, others
// expiring within 1 to 90 days of their creation, created up to 200 days
// ago, some last used in scale-org-01) and an enterprise, scale-ent, that
// holds the ten scale organizations, owned by scale-owner, enforcing
// nothing. The grant lists and settings benchmarks are unaffected: they
// list no classic tokens, and an enterprise without a policy locks nothing.
var inventoryBench struct {
	once   sync.Once
	err    error
	middle int64 // a token id halfway down scale-org-01's inventory
}

func inventoryBenchSetup(b *testing.B) {
	b.Helper()
	benchServer(b)
	inventoryBench.once.Do(func() {
		inventoryBench.err = addInventoryData(filepath.Join(benchEnv.dir, "bench.db"))
	})
	if inventoryBench.err != nil {
		b.Fatal(inventoryBench.err)
	}
}

func addInventoryData(path string) error {
	ctx := context.Background()
	raw, err := db.OpenRaw(path)
	if err != nil {
		return err
	}
	defer raw.Close()
	stmts := []string{
		`INSERT INTO enterprises (slug, name, opted_in, created_at) VALUES ('scale-ent', 'Scale Enterprise', 1, '2026-01-01T00:00:00.000000Z')`,
		`INSERT INTO enterprise_owners (enterprise_id, user_id) SELECT e.id, u.id FROM enterprises e, users u WHERE e.slug = 'scale-ent' AND u.login = 'scale-owner'`,
		`INSERT INTO enterprise_policies (enterprise_id, fine_grained_access, approval, classic_access, updated_at)
		 SELECT id, 'no_policy', 'no_policy', 'no_policy', '2026-01-01T00:00:00.000000Z' FROM enterprises WHERE slug = 'scale-ent'`,
		`UPDATE organizations SET enterprise_id = (SELECT id FROM enterprises WHERE slug = 'scale-ent') WHERE login LIKE 'scale-org-%'`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		 INSERT INTO tokens (user_id, kind, name, hash, prefix, scopes, expires_at, created_at)
		 SELECT (SELECT id FROM users WHERE login = printf('scale-user-%05d', 1 + i % 1000)), 'classic', 'classic-' || i,
		        randomblob(32), 'ghp_bench0000000', 'repo read:org',
		        CASE WHEN i % 10 = 0 THEN NULL
		             ELSE strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (i % 200) || ' days', '+' || (1 + i % 90) || ' days') || '.000000Z' END,
		        strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (i % 200) || ' days') || '.000000Z'
		 FROM n`,
		`INSERT INTO token_org_uses (token_id, org_id, last_used_at)
		 SELECT t.id, o.id, strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (t.id % 120) || ' days') || '.000000Z'
		 FROM tokens t, organizations o WHERE t.kind = 'classic' AND t.id % 3 = 0 AND o.login = 'scale-org-01'`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	err = raw.QueryRowContext(ctx, `SELECT id FROM tokens WHERE org_id = (SELECT id FROM organizations WHERE login = 'scale-org-01')
		 ORDER BY id DESC LIMIT 1 OFFSET 100000`).Scan(&inventoryBench.middle)
	if err == sql.ErrNoRows {
		return fmt.Errorf("no middle token")
	}
	return err
}

// BenchmarkInventoryPage is scale-org-01's inventory (200,000 fine-grained
// tokens and 20,000 classic ones of its members): the first page, each
// filter, and a page halfway down.
func BenchmarkInventoryPage(b *testing.B) {
	inventoryBenchSetup(b)
	inv := paths.OrgInventory(benchEnv.org)
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"kind=classic", "?kind=classic"},
		{"owner", "?owner=" + benchEnv.user},
		{"status=pending", "?status=pending"},
		{"status=active", "?status=active"},
		{"status=expiring", "?status=expiring"},
		{"status=inactive", "?status=inactive"},
		{"status=blocked", "?status=blocked"},
		{"deep", "?before=" + strconv.FormatInt(inventoryBench.middle, 10)},
		{"deep+kind=fine_grained", "?kind=fine_grained&before=" + strconv.FormatInt(inventoryBench.middle, 10)},
	} {
		b.Run(c.name, func(b *testing.B) { benchPageShowing(b, inv+c.query, "All tokens") })
	}
}

// BenchmarkEnterpriseInventoryPage is the same across scale-ent's ten
// organizations.
func BenchmarkEnterpriseInventoryPage(b *testing.B) {
	inventoryBenchSetup(b)
	inv := paths.EnterpriseInventory("scale-ent")
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"organization", "?organization=scale-org-02"},
		{"status=expiring", "?status=expiring"},
		{"deep", "?before=" + strconv.FormatInt(inventoryBench.middle, 10)},
	} {
		b.Run(c.name, func(b *testing.B) { benchPageShowing(b, inv+c.query, "All tokens") })
	}
}

// BenchmarkEnterpriseRequestsPage is the pending requests across scale-ent's
// organizations.
func BenchmarkEnterpriseRequestsPage(b *testing.B) {
	inventoryBenchSetup(b)
	benchPageShowing(b, paths.EnterprisePendingRequests("scale-ent"), "<table")
}

// BenchmarkInventoryCSV exports scale-org-01's classic tokens (20,000 rows).
func BenchmarkInventoryCSV(b *testing.B) {
	inventoryBenchSetup(b)
	benchPageShowing(b, paths.InventoryCSV(paths.OrgInventory(benchEnv.org))+"?kind=classic", "Last used here")
}
