package db

import (
	"context"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"patpolicy/db/dbtest"
)

func TestTranslateNumbersPlaceholdersAndDropsPlannerHints(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b IN (?,?)`, `SELECT * FROM t WHERE a = $1 AND b IN ($2,$3)`},
		{`SELECT '?' || ? FROM "we?ird" WHERE x = ?`, `SELECT '?' || $1 FROM "we?ird" WHERE x = $2`},
		{"SELECT ? -- what? \n, ?", "SELECT $1 -- what? \n, $2"},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT a - ? FROM t`, `SELECT a - $1 FROM t`},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
		{`SELECT a FROM t WHERE x = ?1 OR y = ?1 AND z = ?2`, `SELECT a FROM t WHERE x = $1 OR y = $1 AND z = $2`},
		{`SELECT ?2, ?, ?1`, `SELECT $2, $3, $1`},
		{`SELECT id FROM grants INDEXED BY grants_by_org_status WHERE org_id = ?`, `SELECT id FROM grants WHERE org_id = $1`},
		{`UPDATE grant_keys INDEXED BY grant_keys_by_grant SET status = ?`, `UPDATE grant_keys SET status = $1`},
		{`WHERE +g.org_id = ? AND (+g.status = ?)`, `WHERE g.org_id = $1 AND (g.status = $2)`},
		{`SELECT n + 1, a+b.c, 'INDEXED BY x', REINDEXED BY`, `SELECT n + 1, a+b.c, 'INDEXED BY x', REINDEXED BY`},
		{`SELECT +1, + t.x FROM t`, `SELECT +1, + t.x FROM t`},
	} {
		if got := translate(c.in); got != c.want {
			t.Errorf("translate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsPostgresTellsURLsFromPaths(t *testing.T) {
	for loc, want := range map[string]bool{
		"postgres://u@h/db":     true,
		"postgresql://u@h:5/db": true,
		"data/patpolicy.db":     false,
		"/tmp/postgres://x.db":  false,
		"postgres.db":           false,
	} {
		if got := IsPostgres(loc); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", loc, got, want)
		}
	}
}

// Instances that start at the same moment on a new PostgreSQL database
// migrate it once: each waits for the session lock, and the later ones
// find nothing left to do.
func TestInstancesStartingAtOnceMigrateOnce(t *testing.T) {
	location := dbtest.NewPostgres(t)
	ctx := context.Background()
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, location)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	files, err := migrationFiles("postgres")
	if err != nil {
		t.Fatal(err)
	}
	want := len(migrationNames(t, files))
	var applied, distinct int
	if err := stores[0].read.QueryRowContext(ctx,
		`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != want || distinct != want {
		t.Errorf("goose_db_version: %d rows for %d versions, want %d of each", applied, distinct, want)
	}
}

// The two backends have one history: every version is common or in both
// dialect folders.
func TestBothBackendsHaveTheSameMigrations(t *testing.T) {
	sqlite, err := migrationFiles("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	postgres, err := migrationFiles("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := migrationNames(t, sqlite), migrationNames(t, postgres); !slices.Equal(a, b) {
		t.Errorf("SQLite's migrations %v, PostgreSQL's %v", a, b)
	}
}

func migrationNames(t *testing.T, files fs.FS) []string {
	t.Helper()
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
