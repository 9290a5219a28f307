-- +goose Up
-- What a withdrawn grant was, so that its page (an owner's notification
-- links there) can say that its requester cancelled it, or its owner
-- deleted the token, and when, rather than answer "not found".
ALTER TABLE withdrawn_grants ADD COLUMN name TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN owner_login TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN status TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE withdrawn_grants ADD COLUMN withdrawn_at TEXT COLLATE "C" NOT NULL DEFAULT '';

-- An enterprise's audit log filtered by action, as an organization's is.
CREATE INDEX audit_events_by_enterprise_action ON audit_events(enterprise_id, action, id);

-- +goose Down
DROP INDEX audit_events_by_enterprise_action;
ALTER TABLE withdrawn_grants DROP COLUMN withdrawn_at;
ALTER TABLE withdrawn_grants DROP COLUMN status;
ALTER TABLE withdrawn_grants DROP COLUMN owner_login;
ALTER TABLE withdrawn_grants DROP COLUMN name;
