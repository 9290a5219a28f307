package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"patpolicy/db/dbtest"
)

const demoHash = "hash-of-demo-password"

// openTest opens a fresh database on the run's backend (a file in the
// test's temporary directory, or a PostgreSQL database of its own) and
// closes it when the test ends.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	return openTestAt(tb, dbtest.Location(tb))
}

// openSQLiteTest opens a fresh SQLite store whatever the run's backend: for
// the tests of SQLite's own machinery (its planner, its pragmas, its file),
// which must run on every run.
func openSQLiteTest(tb testing.TB) *Store {
	tb.Helper()
	return openTestAt(tb, filepath.Join(tb.TempDir(), "t.db"))
}

// openTestAt opens the store at location and closes it when the test ends.
func openTestAt(tb testing.TB, location string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), location)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// demo is a seeded store with the ids of the demo dataset (SeedDemo).
type demo struct {
	s     *Store
	users map[string]int64
	orgs  map[string]int64
	ent   int64
}

// seededTest is the demo with an empty audit log: the demo's token events
// are checked by TestSeedDemoLoadsTheDataset.
func seededTest(tb testing.TB) demo {
	tb.Helper()
	d := seededWithDemoEvents(tb)
	if _, err := d.s.write.ExecContext(context.Background(), `DELETE FROM audit_events`); err != nil {
		tb.Fatal(err)
	}
	return d
}

func seededWithDemoEvents(tb testing.TB) demo {
	tb.Helper()
	return seedDemoInto(tb, openTest(tb))
}

// seedDemoInto seeds the demo into s, a fresh store, with its audit events.
func seedDemoInto(tb testing.TB, s *Store) demo {
	tb.Helper()
	ctx := context.Background()
	ok, err := s.SeedDemo(ctx, demoHash, tkCreated)
	if err != nil || !ok {
		tb.Fatalf("SeedDemo = %v, %v; want true, nil", ok, err)
	}
	d := demo{s: s, users: map[string]int64{}, orgs: map[string]int64{}}
	for _, login := range []string{"ent-admin", "octo-owner", "mona", "hubot"} {
		c, err := s.CredentialsFor(ctx, login)
		if err != nil {
			tb.Fatalf("CredentialsFor(%s): %v", login, err)
		}
		d.users[login] = c.User.ID
	}
	for _, login := range []string{"octo-org", "solo-org"} {
		o, err := s.OrgByLogin(ctx, login)
		if err != nil {
			tb.Fatalf("OrgByLogin(%s): %v", login, err)
		}
		d.orgs[login] = o.ID
	}
	ents, err := s.EnterprisesOwnedBy(ctx, d.users["ent-admin"])
	if err != nil || len(ents) != 1 {
		tb.Fatalf("EnterprisesOwnedBy(ent-admin) = %v, %v; want one enterprise", ents, err)
	}
	d.ent = ents[0].ID
	return d
}

// count runs a count(*) style query on the writer, which always sees the
// latest committed state.
func count(tb testing.TB, s *Store, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.write.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// schemaNames lists the store's own tables, indexes or triggers (kind
// "table", "index" or "trigger") by name, on either backend: SQLite's
// internal ones (sqlite_*) left out.
func schemaNames(tb testing.TB, s *Store, kind string) []string {
	tb.Helper()
	query, args := `SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name`, []any{kind}
	if s.dialect == postgresDialect {
		query, args = map[string]string{
			"table": `SELECT table_name FROM information_schema.tables
				WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
			"index": `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`,
			"trigger": `SELECT DISTINCT trigger_name FROM information_schema.triggers
				WHERE trigger_schema = current_schema() ORDER BY 1`,
		}[kind], nil
	}
	rows, err := s.write.QueryContext(context.Background(), query, args...)
	if err != nil {
		tb.Fatalf("%s names: %v", kind, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return names
}

// locationOf is where s's database is, as Open takes it: a file's path, or
// the URL of its PostgreSQL database on the run's server.
func locationOf(tb testing.TB, s *Store) string {
	tb.Helper()
	if s.dialect != postgresDialect {
		var path string
		if err := s.read.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
			tb.Fatal(err)
		}
		return path
	}
	var name string
	if err := s.read.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(dbtest.PostgresEnv))
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// dump renders every row of every user table, to compare whole databases.
func dump(tb testing.TB, s *Store) string {
	tb.Helper()
	tables := schemaNames(tb, s, "table")
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "== %s\n", table)
		b.WriteString(dumpQuery(tb, s.write, `SELECT * FROM "`+table+`" ORDER BY 1, 2`))
	}
	return b.String()
}

func dumpQuery(tb testing.TB, db *sql.DB, query string, args ...any) string {
	tb.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
