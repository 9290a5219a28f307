package db

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"patpolicy/db/dbtest"
)

var wantTables = []string{
	"app_settings", "audit_events", "enterprise_owners", "enterprise_policies", "enterprises",
	"memberships", "org_policies", "organizations", "repositories", "users",
}

var wantIndexes = []string{
	"audit_events_by_enterprise", "audit_events_by_org", "audit_events_by_org_action",
	"enterprise_owners_by_user", "memberships_by_user", "organizations_by_enterprise",
}

func TestOpenMigratesFreshDatabase(t *testing.T) {
	s := openTest(t)
	tables := schemaNames(t, s, "table")
	for _, want := range wantTables {
		if !slices.Contains(tables, want) {
			t.Errorf("table %s missing; have %v", want, tables)
		}
	}
	indexes := schemaNames(t, s, "index")
	for _, want := range wantIndexes {
		if !slices.Contains(indexes, want) {
			t.Errorf("index %s missing; have %v", want, indexes)
		}
	}
	// A fresh database is empty (no demo data without SeedDemo).
	for _, table := range wantTables {
		if n := count(t, s, `SELECT count(*) FROM "`+table+`"`); n != 0 {
			t.Errorf("fresh table %s holds %d rows", table, n)
		}
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestOpenCreatesMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "deeper", "t.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not at %s: %v", path, err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	// The path goes into a file: URI; characters with a meaning there must
	// still name the file given, not another one.
	dir := filepath.Join(t.TempDir(), "a b#c?d%25e&f=g")
	path := filepath.Join(dir, "t.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	if _, err := s.CreateUser(context.Background(), "u", "u@example.com", "U", "h"); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not at %s: %v", path, err)
	}
	s, err = Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.CredentialsFor(context.Background(), "u"); err != nil {
		t.Errorf("user written before reopening not found: %v", err)
	}
}

func TestReopenExistingDatabase(t *testing.T) {
	ctx := context.Background()
	path := dbtest.Location(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if ok, err := s.SeedDemo(ctx, demoHash, tkCreated); err != nil || !ok {
		t.Fatalf("SeedDemo = %v, %v", ok, err)
	}
	migrationsApplied := count(t, s, `SELECT count(*) FROM goose_db_version`)
	before := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	for i := range 2 {
		s, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i+1, err)
		}
		if n := count(t, s, `SELECT count(*) FROM goose_db_version`); n != migrationsApplied {
			t.Errorf("reopen %d: goose_db_version has %d rows, had %d: migrations ran again", i+1, n, migrationsApplied)
		}
		if after := dump(t, s); after != before {
			t.Errorf("reopen %d changed the data:\nbefore:\n%s\nafter:\n%s", i+1, before, after)
		}
		if _, err := s.CredentialsFor(ctx, "mona"); err != nil {
			t.Errorf("reopen %d: mona: %v", i+1, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// SQLite's settings are per connection: every connection of each pool has
// them. They are SQLite's own and checked on every run; a run on
// PostgreSQL checks its counterpart as well (postgresReadersReadOnly).
func TestConnectionPragmas(t *testing.T) {
	ctx := context.Background()
	if dbtest.Postgres() {
		t.Run("postgres", postgresReadersReadOnly)
	}
	s := openSQLiteTest(t)
	for _, p := range []struct {
		name      string
		pool      *sql.DB
		queryOnly int
	}{
		{"writer", s.write, 0},
		{"reader", s.read, 1},
	} {
		t.Run(p.name, func(t *testing.T) {
			// Pragmas are per connection: ask on one connection of the pool.
			c, err := p.pool.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var journal string
			if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(journal, "wal") {
				t.Errorf("journal_mode = %q, want wal", journal)
			}
			for _, pr := range []struct {
				name string
				want int
			}{
				{"foreign_keys", 1},
				{"busy_timeout", 5000},
				{"synchronous", 1}, // NORMAL
				{"query_only", p.queryOnly},
			} {
				var got int
				if err := c.QueryRowContext(ctx, `PRAGMA `+pr.name).Scan(&got); err != nil {
					t.Fatalf("PRAGMA %s: %v", pr.name, err)
				}
				if got != pr.want {
					t.Errorf("PRAGMA %s = %d, want %d", pr.name, got, pr.want)
				}
			}
		})
	}
}

// postgresReadersReadOnly: on PostgreSQL the readers' connections are
// read-only, as SQLite's are query_only, and the writer's are not.
func postgresReadersReadOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for _, p := range []struct {
		name string
		pool *sql.DB
		want string
	}{
		{"writer", s.write, "off"},
		{"reader", s.read, "on"},
	} {
		var got string
		if err := p.pool.QueryRowContext(ctx, `SHOW default_transaction_read_only`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("%s: default_transaction_read_only = %s, want %s", p.name, got, p.want)
		}
	}
}

func TestReaderRefusesWrites(t *testing.T) {
	s := openTest(t)
	_, err := s.read.ExecContext(context.Background(),
		`INSERT INTO app_settings (key, value) VALUES ('k', 'v')`)
	if err == nil {
		t.Fatal("the read pool accepted an INSERT; it must be query_only")
	}
	if n := count(t, s, `SELECT count(*) FROM app_settings`); n != 0 {
		t.Errorf("app_settings has %d rows after a refused insert", n)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	s := openTest(t)
	_, err := s.write.ExecContext(context.Background(),
		`INSERT INTO memberships (org_id, user_id, role) VALUES (999, 999, 'member')`)
	if err == nil {
		t.Fatal("a membership of a missing organization and user was accepted: foreign keys are off")
	}
}

func TestSettingOrCreate(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	calls := 0
	mk := func() (string, error) { calls++; return "first", nil }
	v, err := s.SettingOrCreate(ctx, "session_keys", mk)
	if err != nil || v != "first" {
		t.Fatalf("SettingOrCreate = %q, %v; want first", v, err)
	}
	v, err = s.SettingOrCreate(ctx, "session_keys", func() (string, error) { calls++; return "second", nil })
	if err != nil || v != "first" {
		t.Errorf("second SettingOrCreate = %q, %v; want the stored first", v, err)
	}
	if calls != 1 {
		t.Errorf("make called %d times, want 1", calls)
	}
}

// An expiry that is absent means "never"; one that cannot be read means
// "long ago", never "never".
func TestParseExpiryUnreadableIsPast(t *testing.T) {
	now := time.Now()
	if got := parseExpiry(""); !got.IsZero() {
		t.Errorf(`parseExpiry("") = %v, want the zero time (no expiration)`, got)
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := parseExpiry(timestamp(at)); !got.Equal(at) {
		t.Errorf("parseExpiry(%q) = %v, want %v", timestamp(at), got, at)
	}
	for _, s := range []string{"not a time", "2030-01-02", "9999-99-99T99:99:99.000000Z"} {
		got := parseExpiry(s)
		if got.IsZero() || !got.Before(now) {
			t.Errorf("parseExpiry(%q) = %v, want a time in the past", s, got)
		}
	}
}
