// Package dbtest gives tests a fresh, empty database on the backend the
// test run is for: a SQLite file by default, or, when the environment says
// PATPOLICY_TEST_BACKEND=postgres, a database of its own on the PostgreSQL
// server at PATPOLICY_TEST_POSTGRES (scripts/with-postgres starts one).
// A run for PostgreSQL that cannot reach its server fails; it never falls
// back to SQLite.
package dbtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

const (
	// BackendEnv names the backend of a test run: "postgres", or
	// anything else (unset) for SQLite.
	BackendEnv = "PATPOLICY_TEST_BACKEND"
	// PostgresEnv is the URL of a PostgreSQL database whose user may
	// create databases.
	PostgresEnv = "PATPOLICY_TEST_POSTGRES"
)

// Postgres reports whether this run's stores are on PostgreSQL.
func Postgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// Backend names this run's backend, for messages.
func Backend() string {
	if Postgres() {
		return "postgres"
	}
	return "sqlite"
}

// Location returns where a fresh, empty database for tb is: a file in
// tb's temporary directory, or a new PostgreSQL database dropped when tb
// ends (after the cleanups registered after this call, such as closing
// the store).
func Location(tb testing.TB) string {
	tb.Helper()
	if !Postgres() {
		return filepath.Join(tb.TempDir(), "t.db")
	}
	return NewPostgres(tb)
}

// NewPostgres creates an empty PostgreSQL database for tb on the server
// at PostgresEnv, whatever the run's backend, and returns its URL.
func NewPostgres(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		tb.Fatalf("%s is not set: run the tests through scripts/with-postgres (make test does)", PostgresEnv)
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])

	server, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("PostgreSQL at %s: %v", PostgresEnv, err)
	}
	defer server.Close()
	if _, err := server.Exec(`CREATE DATABASE ` + name); err != nil {
		tb.Fatalf("PostgreSQL at %s: create database: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() {
		server, err := sql.Open("pgx", admin)
		if err != nil {
			tb.Errorf("drop database %s: %v", name, err)
			return
		}
		defer server.Close()
		if _, err := server.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// CutOff makes the PostgreSQL database at location (a URL NewPostgres
// gave) unreachable, as a lost server would be: it refuses new connections
// and ends every open one. The returned restore lets connections in again
// (it also runs when tb ends).
func CutOff(tb testing.TB, location string) (restore func()) {
	tb.Helper()
	u, err := url.Parse(location)
	if err != nil {
		tb.Fatal(err)
	}
	name := u.Path[1:]
	admin := os.Getenv(PostgresEnv)
	server, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatal(err)
	}
	exec := func(query string) error {
		_, err := server.Exec(query)
		return err
	}
	if err := exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`); err != nil {
		tb.Fatalf("cut off %s: %v", name, err)
	}
	if err := exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `'`); err != nil {
		tb.Fatalf("cut off %s: %v", name, err)
	}
	restored := false
	restore = func() {
		if restored {
			return
		}
		restored = true
		if err := exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`); err != nil {
			tb.Errorf("restore %s: %v", name, err)
		}
		server.Close()
	}
	tb.Cleanup(restore)
	return restore
}
