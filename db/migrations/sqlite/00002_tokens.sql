-- +goose Up
-- A token belongs to a user. A fine-grained token names one resource owner:
-- the user (org_id NULL) or an organization, whose access is its grant.
-- Ids never come back after a deletion (AUTOINCREMENT): a page left open on
-- a deleted token or withdrawn request must never act on a newer one.
CREATE TABLE tokens (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id              INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL CHECK (kind IN ('fine_grained', 'classic')),
    name                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    hash                 BLOB NOT NULL UNIQUE,
    prefix               TEXT NOT NULL,
    org_id               INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
    repository_selection TEXT NOT NULL DEFAULT '' CHECK (repository_selection IN ('', 'public', 'all', 'selected')),
    scopes               TEXT NOT NULL DEFAULT '',
    expires_at           TEXT,
    created_at           TEXT NOT NULL,
    last_used_at         TEXT
);
CREATE INDEX tokens_by_user ON tokens(user_id, kind, id);
CREATE INDEX tokens_by_org ON tokens(org_id);
CREATE UNIQUE INDEX tokens_fine_grained_name ON tokens(user_id, name) WHERE kind = 'fine_grained';

CREATE TABLE token_permissions (
    token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('read', 'write')),
    PRIMARY KEY (token_id, name)
) WITHOUT ROWID;

CREATE TABLE token_repositories (
    token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    repo_id  INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, repo_id)
) WITHOUT ROWID;
CREATE INDEX token_repositories_by_repo ON token_repositories(repo_id);

CREATE TABLE grants (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id      INTEGER NOT NULL UNIQUE REFERENCES tokens(id) ON DELETE CASCADE,
    org_id        INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'revoked')),
    justification TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    reviewer_id   INTEGER REFERENCES users(id),
    created_at    TEXT NOT NULL,
    decided_at    TEXT
);
CREATE INDEX grants_by_org_status ON grants(org_id, status, id);
CREATE INDEX grants_by_user ON grants(user_id);
CREATE INDEX grants_by_reviewer ON grants(reviewer_id);

-- What the queue and the active-token list filter on, one row per value a
-- grant can be found by ("u:<owner id>", "r:<repo id>", "r:all",
-- "r:public", "p:<permission>"), kept with the grant's status so that each
-- filter is one range of the primary key, newest first.
CREATE TABLE grant_keys (
    org_id   INTEGER NOT NULL,
    status   TEXT NOT NULL,
    key      TEXT NOT NULL,
    grant_id INTEGER NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, status, key, grant_id)
) WITHOUT ROWID;
CREATE INDEX grant_keys_by_grant ON grant_keys(grant_id, key);

-- Grants whose token its owner deleted (a pending one: a cancelled request),
-- so that a decision sent from a page still showing one is answered "no
-- longer pending" rather than "not found".
CREATE TABLE withdrawn_grants (
    grant_id INTEGER PRIMARY KEY,
    org_id   INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE
);
CREATE INDEX withdrawn_grants_by_org ON withdrawn_grants(org_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    message    TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_by_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE withdrawn_grants;
DROP TABLE grant_keys;
DROP TABLE grants;
DROP TABLE token_repositories;
DROP TABLE token_permissions;
DROP TABLE tokens;
