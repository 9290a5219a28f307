-- +goose Up
-- How many issues each repository has (none is ever closed, so all are
-- open), kept by triggers in the transaction of every change, so that a
-- repository's API answer reads one row instead of counting its issues.
-- As for grant_counts, the triggers run once per statement, and a TRUNCATE
-- leaves every count at 0.
CREATE TABLE issue_counts (
    repo_id BIGINT PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    n       BIGINT NOT NULL
);
INSERT INTO issue_counts SELECT repo_id, count(*) FROM issues GROUP BY 1;

-- Issues are cached too (the counts in repositories' answers): a change
-- counter of their own, so that creating an issue sets aside nothing else.
ALTER TABLE change_counters ADD COLUMN issues BIGINT NOT NULL DEFAULT 0;

-- An UPDATE counts only if it moved an issue to another repository (paired
-- with its old row by id; a row whose id changed counts as moved).
-- +goose StatementBegin
CREATE FUNCTION issues_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
        INSERT INTO issue_counts AS c (repo_id, n)
            SELECT repo_id, count(*) FROM new_rows GROUP BY 1
            ON CONFLICT (repo_id) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
        UPDATE issue_counts AS c SET n = c.n - d.n
            FROM (SELECT repo_id, count(*) AS n FROM old_rows GROUP BY 1) AS d
            WHERE c.repo_id = d.repo_id;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE issue_counts SET n = 0 WHERE n <> 0;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM new_rows AS n LEFT JOIN old_rows AS o ON o.id = n.id
                       WHERE o.id IS NULL OR o.repo_id <> n.repo_id) THEN
            RETURN NULL;
        END IF;
        WITH d AS (
            SELECT repo_id, sum(n) AS n
            FROM (SELECT repo_id, 1 AS n FROM new_rows
                  UNION ALL SELECT repo_id, -1 FROM old_rows) AS moves
            GROUP BY 1 HAVING sum(n) <> 0
        ), fewer AS (
            UPDATE issue_counts AS c SET n = c.n + d.n FROM d
            WHERE d.n < 0 AND c.repo_id = d.repo_id
        )
        INSERT INTO issue_counts AS c (repo_id, n)
            SELECT repo_id, n FROM d WHERE n > 0
            ON CONFLICT (repo_id) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    UPDATE change_counters SET issues = issues + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER issues_count_insert AFTER INSERT ON issues
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION issues_count();
CREATE TRIGGER issues_count_delete AFTER DELETE ON issues
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION issues_count();
CREATE TRIGGER issues_count_update AFTER UPDATE ON issues
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION issues_count();
CREATE TRIGGER issues_count_truncate AFTER TRUNCATE ON issues
    FOR EACH STATEMENT EXECUTE FUNCTION issues_count();

CREATE TRIGGER issue_counts_changes AFTER UPDATE ON issue_counts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump('issues');

-- +goose Down
DROP TRIGGER issue_counts_changes ON issue_counts;
DROP TRIGGER issues_count_truncate ON issues;
DROP TRIGGER issues_count_update ON issues;
DROP TRIGGER issues_count_delete ON issues;
DROP TRIGGER issues_count_insert ON issues;
DROP FUNCTION issues_count();
ALTER TABLE change_counters DROP COLUMN issues;
DROP TABLE issue_counts;
