-- +goose Up
-- What a withdrawn grant was, so that its page (an owner's notification
-- links there) can say that its requester cancelled it, or its owner
-- deleted the token, and when, rather than answer "not found".
ALTER TABLE withdrawn_grants ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN owner_login TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN withdrawn_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE withdrawn_grants DROP COLUMN withdrawn_at;
ALTER TABLE withdrawn_grants DROP COLUMN status;
ALTER TABLE withdrawn_grants DROP COLUMN owner_login;
ALTER TABLE withdrawn_grants DROP COLUMN name;
