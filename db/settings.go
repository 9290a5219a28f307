package db

import (
	"context"
	"database/sql"
	"errors"
)

// SettingOrCreate returns the stored value of key, storing make()'s result
// first if there is none. Concurrent callers all get the one stored value.
func (s *Store) SettingOrCreate(ctx context.Context, key string, make func() (string, error)) (_ string, err error) {
	defer failed(&err, "setting or create")
	var v string
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM app_settings WHERE key = ?`, key).Scan(&v)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if v, err = make(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO app_settings (key, value) VALUES (?, ?)`, key, v)
		return err
	})
	return v, err
}
