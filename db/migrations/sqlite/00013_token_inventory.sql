-- +goose Up
-- When a classic token last reached each organization. A classic token
-- reaches every organization of its owner, so its own last_used_at cannot
-- tell one organization from another; a fine-grained token reaches one
-- organization and keeps using tokens.last_used_at. Nothing caches it.
CREATE TABLE token_org_uses (
    token_id     INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    org_id       INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (token_id, org_id)
) WITHOUT ROWID;
CREATE INDEX token_org_uses_by_org ON token_org_uses(org_id);

-- The token inventory walks every classic token newest first, checking
-- each owner's membership; fine-grained ones it walks by organization
-- (tokens_by_org holds the rowid, so it is in id order already).
CREATE INDEX tokens_classic ON tokens(id) WHERE kind = 'classic';

-- +goose Down
DROP INDEX tokens_classic;
DROP TABLE token_org_uses;
