package db

import "testing"

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
