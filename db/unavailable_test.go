package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteCode is the primary result code of a SQLite error, -1 for another.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return -1
	}
	return se.Code() & 0xff
}

// A database that may not grow (the writer connection's max_page_count at
// its current size) answers a growing write the way a full disk does. The
// cap is SQLite's: this runs on SQLite on every run.
func TestAFullDiskIsUnavailableAndPassesWithTheSpace(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t)
	var pages int
	if err := s.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	var capped int
	if err := s.write.QueryRowContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)).Scan(&capped); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 64<<10) // needs pages the file does not have
	_, err := s.SettingOrCreate(ctx, "big", func() (string, error) { return big, nil })
	if sqliteCode(err) != sqlite3.SQLITE_FULL {
		t.Fatalf("write to a full database: %v, want SQLITE_FULL", err)
	}
	if !Unavailable(err) || !Unavailable(fmt.Errorf("save: %w", err)) {
		t.Errorf("Unavailable(%v) = false, want true (also wrapped)", err)
	}
	// With room again, the writer connection works: the failed transaction
	// did not stay open on it.
	if err := s.write.QueryRowContext(ctx, `PRAGMA max_page_count = 1073741823`).Scan(&capped); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SettingOrCreate(ctx, "big", func() (string, error) { return big, nil }); err != nil {
		t.Fatalf("write once there is room: %v", err)
	}
}

func TestUnavailableIsOnlyForTheDatabasesState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	_, constraint := s.write.ExecContext(ctx, `INSERT INTO app_settings (key, value) VALUES ('k', NULL)`)
	for _, err := range []error{nil, ErrNotFound, context.Canceled, errors.New("database is locked"), constraint} {
		if Unavailable(err) {
			t.Errorf("Unavailable(%v) = true", err)
		}
	}
	if constraint == nil {
		t.Error("the NOT NULL insert did not fail")
	}
}
