package db

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing/fstest"
)

// The migrations history is one list of versions for both backends. A
// migration whose SQL suits both is one file in migrations/common; one that
// must be written differently for each is a file of the same name in
// migrations/sqlite and in migrations/postgres.

// migrationFiles is the history for dialect ("sqlite" or "postgres"): the
// common files and the dialect's own, as one directory. A version found in
// both is a mistake, refused.
func migrationFiles(dialect string) (fs.FS, error) {
	out := fstest.MapFS{}
	for _, dir := range []string{"migrations/common", "migrations/" + dialect} {
		entries, err := fs.ReadDir(migrations, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // none yet
		}
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			if _, dup := out[e.Name()]; dup {
				return nil, fmt.Errorf("migrations: %s is both common and %s's own", e.Name(), dialect)
			}
			data, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("migrations: %w", err)
			}
			out[e.Name()] = &fstest.MapFile{Data: data, Mode: 0o444}
		}
	}
	return out, nil
}
