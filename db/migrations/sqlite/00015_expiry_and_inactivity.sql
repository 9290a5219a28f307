-- +goose Up
-- Inactivity limits: the days a fine-grained token may go unused before it
-- loses its grant (0: no limit), an organization's own and an enterprise's,
-- which is enforced in its organizations.
ALTER TABLE org_policies ADD COLUMN inactive_days INTEGER NOT NULL DEFAULT 0
    CHECK (inactive_days = 0 OR inactive_days BETWEEN 7 AND 366);
ALTER TABLE enterprise_policies ADD COLUMN inactive_days INTEGER NOT NULL DEFAULT 0
    CHECK (inactive_days = 0 OR inactive_days BETWEEN 7 AND 366);

-- The expiry notices sent: one row per token, notice and expiry, written in
-- the transaction of the notification, so each is sent once whichever
-- instance sends it. A token whose expiry moves is told of the new one.
CREATE TABLE token_notices (
    token_id   INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('expiring_7d', 'expiring_1d', 'expired')),
    expires_at TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (token_id, kind, expires_at)
) WITHOUT ROWID;

-- The tokens whose expiry is near, soonest first.
CREATE INDEX tokens_by_expiry ON tokens(expires_at) WHERE expires_at IS NOT NULL;
-- An organization's tokens, least recently used first (never used: since
-- their creation).
CREATE INDEX tokens_by_org_last_use ON tokens(org_id, COALESCE(last_used_at, created_at)) WHERE org_id IS NOT NULL;
-- The organizations and enterprises that set an inactivity limit.
CREATE INDEX org_policies_inactive ON org_policies(org_id) WHERE inactive_days > 0;
CREATE INDEX enterprise_policies_inactive ON enterprise_policies(enterprise_id) WHERE inactive_days > 0;

-- When a background sweep last went through everything due, by name
-- ('inactivity'), so that the instances on this database sweep once per
-- period between them.
CREATE TABLE job_marks (
    name TEXT PRIMARY KEY,
    at   TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE job_marks;
DROP INDEX enterprise_policies_inactive;
DROP INDEX org_policies_inactive;
DROP INDEX tokens_by_org_last_use;
DROP INDEX tokens_by_expiry;
DROP TABLE token_notices;
ALTER TABLE enterprise_policies DROP COLUMN inactive_days;
ALTER TABLE org_policies DROP COLUMN inactive_days;
