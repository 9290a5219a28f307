package db

import "testing"

func TestRebindNumbersPlaceholdersOutsideQuotesAndComments(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b IN (?,?)`, `SELECT * FROM t WHERE a = $1 AND b IN ($2,$3)`},
		{`SELECT '?' || ? FROM "we?ird" WHERE x = ?`, `SELECT '?' || $1 FROM "we?ird" WHERE x = $2`},
		{"SELECT ? -- what? \n, ?", "SELECT $1 -- what? \n, $2"},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT a - ? FROM t`, `SELECT a - $1 FROM t`},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
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
