-- +goose Up
-- How many grants each organization has in each status, kept by triggers in
-- the transaction of every change, so the settings page can say how many
-- requests wait without counting 100,000 index entries.
CREATE TABLE grant_counts (
    org_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (org_id, status)
) WITHOUT ROWID;
INSERT INTO grant_counts SELECT org_id, status, count(*) FROM grants GROUP BY 1, 2;

-- +goose StatementBegin
CREATE TRIGGER grants_count_insert AFTER INSERT ON grants BEGIN
    INSERT INTO grant_counts VALUES (NEW.org_id, NEW.status, 1)
        ON CONFLICT (org_id, status) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER grants_count_delete AFTER DELETE ON grants BEGIN
    UPDATE grant_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER grants_count_update AFTER UPDATE OF org_id, status ON grants
    WHEN OLD.org_id IS NOT NEW.org_id OR OLD.status IS NOT NEW.status BEGIN
    UPDATE grant_counts SET n = n - 1 WHERE org_id = OLD.org_id AND status = OLD.status;
    INSERT INTO grant_counts VALUES (NEW.org_id, NEW.status, 1)
        ON CONFLICT (org_id, status) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER grants_count_update;
DROP TRIGGER grants_count_delete;
DROP TRIGGER grants_count_insert;
DROP TABLE grant_counts;
