-- +goose Up
-- An organization's rule approving read-only requests when they are made:
-- whether it is on, and the repositories it is limited to (their ids,
-- separated by spaces, ascending; '' for any repository). The columns are
-- part of the organization's policy row, so its version and change counter
-- cover them.
ALTER TABLE org_policies ADD COLUMN auto_approve_read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_policies ADD COLUMN auto_approve_repos TEXT NOT NULL DEFAULT '';

-- An audit event acted by the application itself (a rule) rather than by
-- a person: its actor_id is NULL and actor_login names it.
ALTER TABLE audit_events ADD COLUMN actor_login TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_events DROP COLUMN actor_login;
ALTER TABLE org_policies DROP COLUMN auto_approve_repos;
ALTER TABLE org_policies DROP COLUMN auto_approve_read_only;
