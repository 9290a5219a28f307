-- +goose Up
-- Signed-in browser sessions. The cookie holds a random secret; the server
-- keeps only its SHA-256 (id), so reading this table does not give anyone
-- a cookie. Signing out deletes the row, which ends every copy of the
-- cookie at once; a row past expires_at is as good as gone.
CREATE TABLE sessions (
    id           BYTEA PRIMARY KEY CHECK (octet_length(id) = 32),
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   TEXT COLLATE "C" NOT NULL,
    last_seen_at TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C" NOT NULL
);
-- A user's sessions, newest use last: changing the password ends them all,
-- and signing in trims the oldest beyond the per-user cap.
CREATE INDEX sessions_by_user ON sessions(user_id, last_seen_at);
-- Expired sessions are pruned at each sign-in.
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

-- +goose Down
DROP TABLE sessions;
