-- +goose Up
-- Issues created through the REST API, numbered per repository (the number
-- is assigned in the write transaction that stores the issue). token_id is
-- the token that created it; the issue stays when the token goes.
CREATE TABLE issues (
    id         INTEGER PRIMARY KEY,
    repo_id    INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    user_id    INTEGER NOT NULL REFERENCES users(id),
    token_id   INTEGER REFERENCES tokens(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (repo_id, number)
);
-- Deleting a token sets its issues' token_id to NULL: without this index
-- every token deletion would read the whole table.
CREATE INDEX issues_by_token ON issues(token_id);

-- A user's SSH keys. A key outlives the token that created it (keys a
-- token added keep working after it is restricted or revoked, as
-- docs/policy.md says), so deleting the token only forgets which one it was. Ids
-- never come back after a deletion.
CREATE TABLE ssh_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    key        TEXT NOT NULL UNIQUE,
    token_id   INTEGER REFERENCES tokens(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ssh_keys_by_user ON ssh_keys(user_id, id);
CREATE INDEX ssh_keys_by_token ON ssh_keys(token_id);

-- +goose Down
DROP TABLE ssh_keys;
DROP TABLE issues;
