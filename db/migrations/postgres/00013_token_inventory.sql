-- +goose Up
-- When a classic token last reached each organization. A classic token
-- reaches every organization of its owner, so its own last_used_at cannot
-- tell one organization from another; a fine-grained token reaches one
-- organization and keeps using tokens.last_used_at. Nothing caches it.
CREATE TABLE token_org_uses (
    token_id     BIGINT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    org_id       BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    last_used_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (token_id, org_id)
);
CREATE INDEX token_org_uses_by_org ON token_org_uses(org_id);

-- The token inventory walks every classic token newest first, checking
-- each owner's membership, and an organization's fine-grained tokens
-- newest first (SQLite's tokens_by_org holds the rowid and is in id order
-- already; PostgreSQL's is not).
CREATE INDEX tokens_classic ON tokens(id) WHERE kind = 'classic';
CREATE INDEX tokens_by_org_id ON tokens(org_id, id);

-- +goose Down
DROP INDEX tokens_by_org_id;
DROP INDEX tokens_classic;
DROP TABLE token_org_uses;
