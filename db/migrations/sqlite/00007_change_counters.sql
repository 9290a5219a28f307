-- +goose Up
-- Change counters: what the caches of every process (and, later, every
-- instance) compare against to know that something they hold may have
-- changed. Triggers bump them in the transaction of every change, so a
-- write counts whoever makes it: this server, another server on the same
-- file, the 'patpolicy user' commands, or someone with the sqlite3 shell.
-- A request reads the row once (see db/changes.go) and uses a cached value
-- only if the counters its scope depends on have not moved since it was read.
--   directory:  users, enterprises and their owners, organizations,
--               memberships, repositories
--   access:     grants, policies, notifications, new tokens
--   token_rows: a token's own row (but its last use), permissions and
--               repositories, deleted tokens
--   sessions:   sessions started, ended or moved to another user (a touch
--               that only moves last_seen_at/expires_at forward does not count)
CREATE TABLE change_counters (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    directory  INTEGER NOT NULL DEFAULT 0,
    access     INTEGER NOT NULL DEFAULT 0,
    token_rows INTEGER NOT NULL DEFAULT 0,
    sessions   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO change_counters (id) VALUES (1);
-- +goose StatementBegin
CREATE TRIGGER users_changes_insert AFTER INSERT ON users BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_changes_update AFTER UPDATE ON users BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_changes_delete AFTER DELETE ON users BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprises_changes_insert AFTER INSERT ON enterprises BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprises_changes_update AFTER UPDATE ON enterprises BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprises_changes_delete AFTER DELETE ON enterprises BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_owners_changes_insert AFTER INSERT ON enterprise_owners BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_owners_changes_update AFTER UPDATE ON enterprise_owners BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_owners_changes_delete AFTER DELETE ON enterprise_owners BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER organizations_changes_insert AFTER INSERT ON organizations BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER organizations_changes_update AFTER UPDATE ON organizations BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER organizations_changes_delete AFTER DELETE ON organizations BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_changes_insert AFTER INSERT ON memberships BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_changes_update AFTER UPDATE ON memberships BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER memberships_changes_delete AFTER DELETE ON memberships BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER repositories_changes_insert AFTER INSERT ON repositories BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER repositories_changes_update AFTER UPDATE ON repositories BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER repositories_changes_delete AFTER DELETE ON repositories BEGIN
    UPDATE change_counters SET directory = directory + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER grants_changes_insert AFTER INSERT ON grants BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER grants_changes_update AFTER UPDATE ON grants BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER grants_changes_delete AFTER DELETE ON grants BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER org_policies_changes_insert AFTER INSERT ON org_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER org_policies_changes_update AFTER UPDATE ON org_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER org_policies_changes_delete AFTER DELETE ON org_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_policies_changes_insert AFTER INSERT ON enterprise_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_policies_changes_update AFTER UPDATE ON enterprise_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER enterprise_policies_changes_delete AFTER DELETE ON enterprise_policies BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notifications_changes_insert AFTER INSERT ON notifications BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notifications_changes_update AFTER UPDATE ON notifications BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER notifications_changes_delete AFTER DELETE ON notifications BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_permissions_changes_insert AFTER INSERT ON token_permissions BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_permissions_changes_update AFTER UPDATE ON token_permissions BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_permissions_changes_delete AFTER DELETE ON token_permissions BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_repositories_changes_insert AFTER INSERT ON token_repositories BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_repositories_changes_update AFTER UPDATE ON token_repositories BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER token_repositories_changes_delete AFTER DELETE ON token_repositories BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sessions_changes_insert AFTER INSERT ON sessions BEGIN
    UPDATE change_counters SET sessions = sessions + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sessions_changes_update AFTER UPDATE ON sessions
    WHEN OLD.id IS NOT NEW.id OR OLD.user_id IS NOT NEW.user_id OR OLD.created_at IS NOT NEW.created_at
      OR NEW.expires_at < OLD.expires_at BEGIN
    UPDATE change_counters SET sessions = sessions + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sessions_changes_delete AFTER DELETE ON sessions BEGIN
    UPDATE change_counters SET sessions = sessions + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tokens_changes_insert AFTER INSERT ON tokens BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- An INSERT OR REPLACE that replaces a token deletes the old row without
-- firing the delete triggers (unless recursive_triggers is on): it counts
-- as a change to tokens' rows here, before the old row goes.
-- +goose StatementBegin
CREATE TRIGGER tokens_changes_replace BEFORE INSERT ON tokens
    WHEN EXISTS (SELECT 1 FROM tokens WHERE id = NEW.id OR hash = NEW.hash
                 OR (kind = 'fine_grained' AND NEW.kind = 'fine_grained' AND user_id = NEW.user_id AND name = NEW.name)) BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- The counts that triggers keep count as what they count, should anyone
-- repair them by hand.
-- +goose StatementBegin
CREATE TRIGGER grant_counts_changes AFTER UPDATE ON grant_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER grant_counts_changes_insert AFTER INSERT ON grant_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER grant_counts_changes_delete AFTER DELETE ON grant_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER unread_counts_changes AFTER UPDATE ON unread_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER unread_counts_changes_insert AFTER INSERT ON unread_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER unread_counts_changes_delete AFTER DELETE ON unread_counts BEGIN
    UPDATE change_counters SET access = access + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tokens_changes_update AFTER UPDATE OF id, user_id, kind, name, description, hash, prefix, org_id, repository_selection, scopes, expires_at, created_at ON tokens BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tokens_changes_delete AFTER DELETE ON tokens BEGIN
    UPDATE change_counters SET token_rows = token_rows + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose Down
DROP TRIGGER tokens_changes_delete;
DROP TRIGGER tokens_changes_update;
DROP TRIGGER unread_counts_changes_delete;
DROP TRIGGER unread_counts_changes_insert;
DROP TRIGGER unread_counts_changes;
DROP TRIGGER grant_counts_changes_delete;
DROP TRIGGER grant_counts_changes_insert;
DROP TRIGGER grant_counts_changes;
DROP TRIGGER tokens_changes_replace;
DROP TRIGGER tokens_changes_insert;
DROP TRIGGER sessions_changes_delete;
DROP TRIGGER sessions_changes_update;
DROP TRIGGER sessions_changes_insert;
DROP TRIGGER token_repositories_changes_delete;
DROP TRIGGER token_repositories_changes_update;
DROP TRIGGER token_repositories_changes_insert;
DROP TRIGGER token_permissions_changes_delete;
DROP TRIGGER token_permissions_changes_update;
DROP TRIGGER token_permissions_changes_insert;
DROP TRIGGER notifications_changes_delete;
DROP TRIGGER notifications_changes_update;
DROP TRIGGER notifications_changes_insert;
DROP TRIGGER enterprise_policies_changes_delete;
DROP TRIGGER enterprise_policies_changes_update;
DROP TRIGGER enterprise_policies_changes_insert;
DROP TRIGGER org_policies_changes_delete;
DROP TRIGGER org_policies_changes_update;
DROP TRIGGER org_policies_changes_insert;
DROP TRIGGER grants_changes_delete;
DROP TRIGGER grants_changes_update;
DROP TRIGGER grants_changes_insert;
DROP TRIGGER repositories_changes_delete;
DROP TRIGGER repositories_changes_update;
DROP TRIGGER repositories_changes_insert;
DROP TRIGGER memberships_changes_delete;
DROP TRIGGER memberships_changes_update;
DROP TRIGGER memberships_changes_insert;
DROP TRIGGER organizations_changes_delete;
DROP TRIGGER organizations_changes_update;
DROP TRIGGER organizations_changes_insert;
DROP TRIGGER enterprise_owners_changes_delete;
DROP TRIGGER enterprise_owners_changes_update;
DROP TRIGGER enterprise_owners_changes_insert;
DROP TRIGGER enterprises_changes_delete;
DROP TRIGGER enterprises_changes_update;
DROP TRIGGER enterprises_changes_insert;
DROP TRIGGER users_changes_delete;
DROP TRIGGER users_changes_update;
DROP TRIGGER users_changes_insert;
DROP TABLE change_counters;
