-- +goose Up
-- How many issues each repository has (none is ever closed, so all are
-- open), kept by triggers in the transaction of every change, so that a
-- repository's API answer reads one row instead of counting its issues.
CREATE TABLE issue_counts (
    repo_id INTEGER PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL
);
INSERT INTO issue_counts SELECT repo_id, count(*) FROM issues GROUP BY 1;

-- Issues are cached too (the counts in repositories' answers): a change
-- counter of their own, so that creating an issue sets aside nothing else.
ALTER TABLE change_counters ADD COLUMN issues INTEGER NOT NULL DEFAULT 0;

-- +goose StatementBegin
CREATE TRIGGER issues_count_insert AFTER INSERT ON issues BEGIN
    INSERT INTO issue_counts VALUES (NEW.repo_id, 1)
        ON CONFLICT (repo_id) DO UPDATE SET n = n + 1;
    UPDATE change_counters SET issues = issues + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER issues_count_delete AFTER DELETE ON issues BEGIN
    UPDATE issue_counts SET n = n - 1 WHERE repo_id = OLD.repo_id;
    UPDATE change_counters SET issues = issues + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER issues_count_update AFTER UPDATE OF repo_id ON issues
    WHEN OLD.repo_id IS NOT NEW.repo_id BEGIN
    UPDATE issue_counts SET n = n - 1 WHERE repo_id = OLD.repo_id;
    INSERT INTO issue_counts VALUES (NEW.repo_id, 1)
        ON CONFLICT (repo_id) DO UPDATE SET n = n + 1;
    UPDATE change_counters SET issues = issues + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER issue_counts_changes AFTER UPDATE ON issue_counts BEGIN
    UPDATE change_counters SET issues = issues + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER issue_counts_changes;
DROP TRIGGER issues_count_update;
DROP TRIGGER issues_count_delete;
DROP TRIGGER issues_count_insert;
ALTER TABLE change_counters DROP COLUMN issues;
DROP TABLE issue_counts;
