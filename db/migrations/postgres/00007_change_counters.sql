-- +goose Up
-- Change counters: what the caches of every instance compare against to
-- know that something they hold may have changed. Triggers bump them in the
-- transaction of every change, so a write counts whoever makes it: any
-- instance, the 'patpolicy user' commands, or someone with psql.
-- A request reads the row once and uses a cached value only if the
-- counters its scope depends on have not moved since it was read.
--   directory:  users, enterprises and their owners, organizations,
--               memberships, repositories
--   access:     grants, policies, notifications, new tokens
--   token_rows: a token's own row (but its last use), permissions and
--               repositories, deleted tokens
--   sessions:   sessions started, ended or moved to another user (a touch
--               that only moves last_seen_at/expires_at forward does not count)
--
-- The triggers run once per statement and bump a counter once if the
-- statement changed at least one row (its transition table is not empty).
-- A statement that changes no row (pruning sessions when none has expired)
-- moves nothing, so it sets aside no instance's cache; and a statement that
-- adds 100,000 tokens bumps the one counter row once, not 100,000 times in
-- one transaction. Where a counter depends on what changed (sessions, a
-- token's last use), the trigger pairs each new row with its old row by
-- primary key; a row whose key changed has no old row and counts.
CREATE TABLE change_counters (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    directory  BIGINT NOT NULL DEFAULT 0,
    access     BIGINT NOT NULL DEFAULT 0,
    token_rows BIGINT NOT NULL DEFAULT 0,
    sessions   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO change_counters (id) VALUES (1);

-- change_counters_bump(counter) adds one to the named counter if the
-- statement changed a row: its trigger names the statement's rows
-- (inserted, updated or deleted) "changed". A TRUNCATE, which fires no
-- delete trigger (SQLite has no such statement), always counts: each
-- table counted here has a <table>_changes_truncate trigger too.
-- +goose StatementBegin
CREATE FUNCTION change_counters_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'TRUNCATE' THEN
        IF NOT EXISTS (SELECT 1 FROM changed) THEN
            RETURN NULL;
        END IF;
    END IF;
    EXECUTE format('UPDATE change_counters SET %1$I = %1$I + 1 WHERE id = 1', TG_ARGV[0]);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A session counts when its id, user or start changed, or its expiry moved
-- earlier (ended from the outside); a touch moving last_seen_at and
-- expires_at forward does not.
-- +goose StatementBegin
CREATE FUNCTION sessions_changes_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows AS n LEFT JOIN old_rows AS o ON o.id = n.id
               WHERE o.id IS NULL OR o.user_id <> n.user_id OR o.created_at <> n.created_at
                  OR n.expires_at < o.expires_at) THEN
        UPDATE change_counters SET sessions = sessions + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A token's row counts when any of its columns but last_used_at changed:
-- recording a token's last use sets nothing aside. (A column set to the
-- value it holds changes nothing, so it does not count either.)
-- +goose StatementBegin
CREATE FUNCTION tokens_changes_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows AS n LEFT JOIN old_rows AS o ON o.id = n.id
               WHERE o.id IS NULL
                  OR (o.user_id, o.kind, o.name, o.description, o.hash, o.prefix, o.org_id,
                      o.repository_selection, o.scopes, o.expires_at, o.created_at)
                     IS DISTINCT FROM
                     (n.user_id, n.kind, n.name, n.description, n.hash, n.prefix, n.org_id,
                      n.repository_selection, n.scopes, n.expires_at, n.created_at)) THEN
        UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_changes_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER users_changes_update AFTER UPDATE ON users
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER users_changes_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER users_changes_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprises_changes_insert AFTER INSERT ON enterprises
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprises_changes_update AFTER UPDATE ON enterprises
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprises_changes_delete AFTER DELETE ON enterprises
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprises_changes_truncate AFTER TRUNCATE ON enterprises
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprise_owners_changes_insert AFTER INSERT ON enterprise_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprise_owners_changes_update AFTER UPDATE ON enterprise_owners
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprise_owners_changes_delete AFTER DELETE ON enterprise_owners
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER enterprise_owners_changes_truncate AFTER TRUNCATE ON enterprise_owners
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER organizations_changes_insert AFTER INSERT ON organizations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER organizations_changes_update AFTER UPDATE ON organizations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER organizations_changes_delete AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER organizations_changes_truncate AFTER TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER memberships_changes_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER memberships_changes_update AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER memberships_changes_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER memberships_changes_truncate AFTER TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER repositories_changes_insert AFTER INSERT ON repositories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER repositories_changes_update AFTER UPDATE ON repositories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER repositories_changes_delete AFTER DELETE ON repositories
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER repositories_changes_truncate AFTER TRUNCATE ON repositories
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('directory');
CREATE TRIGGER grants_changes_insert AFTER INSERT ON grants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grants_changes_update AFTER UPDATE ON grants
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grants_changes_delete AFTER DELETE ON grants
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grants_changes_truncate AFTER TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER org_policies_changes_insert AFTER INSERT ON org_policies
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER org_policies_changes_update AFTER UPDATE ON org_policies
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER org_policies_changes_delete AFTER DELETE ON org_policies
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER org_policies_changes_truncate AFTER TRUNCATE ON org_policies
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER enterprise_policies_changes_insert AFTER INSERT ON enterprise_policies
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER enterprise_policies_changes_update AFTER UPDATE ON enterprise_policies
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER enterprise_policies_changes_delete AFTER DELETE ON enterprise_policies
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER enterprise_policies_changes_truncate AFTER TRUNCATE ON enterprise_policies
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER notifications_changes_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER notifications_changes_update AFTER UPDATE ON notifications
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER notifications_changes_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER notifications_changes_truncate AFTER TRUNCATE ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER token_permissions_changes_insert AFTER INSERT ON token_permissions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_permissions_changes_update AFTER UPDATE ON token_permissions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_permissions_changes_delete AFTER DELETE ON token_permissions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_permissions_changes_truncate AFTER TRUNCATE ON token_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_repositories_changes_insert AFTER INSERT ON token_repositories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_repositories_changes_update AFTER UPDATE ON token_repositories
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_repositories_changes_delete AFTER DELETE ON token_repositories
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER token_repositories_changes_truncate AFTER TRUNCATE ON token_repositories
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER sessions_changes_insert AFTER INSERT ON sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('sessions');
CREATE TRIGGER sessions_changes_update AFTER UPDATE ON sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sessions_changes_update();
CREATE TRIGGER sessions_changes_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('sessions');
CREATE TRIGGER sessions_changes_truncate AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('sessions');
CREATE TRIGGER tokens_changes_insert AFTER INSERT ON tokens
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
-- SQLite has one more trigger here, tokens_changes_replace, for its INSERT
-- OR REPLACE, which deletes the row it replaces without firing delete
-- triggers. PostgreSQL has no such statement: a row is replaced by an
-- UPDATE (INSERT ... ON CONFLICT DO UPDATE is one) or by a DELETE and an
-- INSERT, which the triggers below count; so there is no such trigger here.
-- The counts that triggers keep count as what they count, should anyone
-- repair them by hand.
CREATE TRIGGER grant_counts_changes AFTER UPDATE ON grant_counts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grant_counts_changes_insert AFTER INSERT ON grant_counts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grant_counts_changes_delete AFTER DELETE ON grant_counts
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER grant_counts_changes_truncate AFTER TRUNCATE ON grant_counts
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER unread_counts_changes AFTER UPDATE ON unread_counts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER unread_counts_changes_insert AFTER INSERT ON unread_counts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER unread_counts_changes_delete AFTER DELETE ON unread_counts
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER unread_counts_changes_truncate AFTER TRUNCATE ON unread_counts
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('access');
CREATE TRIGGER tokens_changes_update AFTER UPDATE ON tokens
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tokens_changes_update();
CREATE TRIGGER tokens_changes_delete AFTER DELETE ON tokens
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');
CREATE TRIGGER tokens_changes_truncate AFTER TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('token_rows');

-- +goose Down
DROP TRIGGER tokens_changes_truncate ON tokens;
DROP TRIGGER tokens_changes_delete ON tokens;
DROP TRIGGER tokens_changes_update ON tokens;
DROP TRIGGER unread_counts_changes_truncate ON unread_counts;
DROP TRIGGER unread_counts_changes_delete ON unread_counts;
DROP TRIGGER unread_counts_changes_insert ON unread_counts;
DROP TRIGGER unread_counts_changes ON unread_counts;
DROP TRIGGER grant_counts_changes_truncate ON grant_counts;
DROP TRIGGER grant_counts_changes_delete ON grant_counts;
DROP TRIGGER grant_counts_changes_insert ON grant_counts;
DROP TRIGGER grant_counts_changes ON grant_counts;
DROP TRIGGER tokens_changes_insert ON tokens;
DROP TRIGGER sessions_changes_truncate ON sessions;
DROP TRIGGER sessions_changes_delete ON sessions;
DROP TRIGGER sessions_changes_update ON sessions;
DROP TRIGGER sessions_changes_insert ON sessions;
DROP TRIGGER token_repositories_changes_truncate ON token_repositories;
DROP TRIGGER token_repositories_changes_delete ON token_repositories;
DROP TRIGGER token_repositories_changes_update ON token_repositories;
DROP TRIGGER token_repositories_changes_insert ON token_repositories;
DROP TRIGGER token_permissions_changes_truncate ON token_permissions;
DROP TRIGGER token_permissions_changes_delete ON token_permissions;
DROP TRIGGER token_permissions_changes_update ON token_permissions;
DROP TRIGGER token_permissions_changes_insert ON token_permissions;
DROP TRIGGER notifications_changes_truncate ON notifications;
DROP TRIGGER notifications_changes_delete ON notifications;
DROP TRIGGER notifications_changes_update ON notifications;
DROP TRIGGER notifications_changes_insert ON notifications;
DROP TRIGGER enterprise_policies_changes_truncate ON enterprise_policies;
DROP TRIGGER enterprise_policies_changes_delete ON enterprise_policies;
DROP TRIGGER enterprise_policies_changes_update ON enterprise_policies;
DROP TRIGGER enterprise_policies_changes_insert ON enterprise_policies;
DROP TRIGGER org_policies_changes_truncate ON org_policies;
DROP TRIGGER org_policies_changes_delete ON org_policies;
DROP TRIGGER org_policies_changes_update ON org_policies;
DROP TRIGGER org_policies_changes_insert ON org_policies;
DROP TRIGGER grants_changes_truncate ON grants;
DROP TRIGGER grants_changes_delete ON grants;
DROP TRIGGER grants_changes_update ON grants;
DROP TRIGGER grants_changes_insert ON grants;
DROP TRIGGER repositories_changes_truncate ON repositories;
DROP TRIGGER repositories_changes_delete ON repositories;
DROP TRIGGER repositories_changes_update ON repositories;
DROP TRIGGER repositories_changes_insert ON repositories;
DROP TRIGGER memberships_changes_truncate ON memberships;
DROP TRIGGER memberships_changes_delete ON memberships;
DROP TRIGGER memberships_changes_update ON memberships;
DROP TRIGGER memberships_changes_insert ON memberships;
DROP TRIGGER organizations_changes_truncate ON organizations;
DROP TRIGGER organizations_changes_delete ON organizations;
DROP TRIGGER organizations_changes_update ON organizations;
DROP TRIGGER organizations_changes_insert ON organizations;
DROP TRIGGER enterprise_owners_changes_truncate ON enterprise_owners;
DROP TRIGGER enterprise_owners_changes_delete ON enterprise_owners;
DROP TRIGGER enterprise_owners_changes_update ON enterprise_owners;
DROP TRIGGER enterprise_owners_changes_insert ON enterprise_owners;
DROP TRIGGER enterprises_changes_truncate ON enterprises;
DROP TRIGGER enterprises_changes_delete ON enterprises;
DROP TRIGGER enterprises_changes_update ON enterprises;
DROP TRIGGER enterprises_changes_insert ON enterprises;
DROP TRIGGER users_changes_truncate ON users;
DROP TRIGGER users_changes_delete ON users;
DROP TRIGGER users_changes_update ON users;
DROP TRIGGER users_changes_insert ON users;
DROP FUNCTION tokens_changes_update();
DROP FUNCTION sessions_changes_update();
DROP FUNCTION change_counters_bump();
DROP TABLE change_counters;
