-- +goose Up
-- How many grants each organization has in each status, kept by triggers in
-- the transaction of every change, so the settings page can say how many
-- requests wait without counting 100,000 index entries.
--
-- The triggers run once per statement, not once per row: a statement that
-- adds 100,000 grants moves each count once, by how many rows it added,
-- rather than rewriting the same count row 100,000 times in one
-- transaction. An UPDATE applies its net change per (org_id, status): one
-- more for each new row, one less for each old one, so that rows moving
-- between statuses or organizations are counted exactly, and a count whose
-- net change is nothing is not written at all. A TRUNCATE (which fires no
-- delete trigger; SQLite has no such statement) leaves every count at 0.
CREATE TABLE grant_counts (
    org_id BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (org_id, status)
);
INSERT INTO grant_counts SELECT org_id, status, count(*) FROM grants GROUP BY 1, 2;

-- +goose StatementBegin
CREATE FUNCTION grants_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO grant_counts AS c (org_id, status, n)
            SELECT org_id, status, count(*) FROM new_rows GROUP BY 1, 2
            ON CONFLICT (org_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE grant_counts AS c SET n = c.n - d.n
            FROM (SELECT org_id, status, count(*) AS n FROM old_rows GROUP BY 1, 2) AS d
            WHERE c.org_id = d.org_id AND c.status = d.status;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE grant_counts SET n = 0 WHERE n <> 0;
    ELSE
        WITH d AS (
            SELECT org_id, status, sum(n) AS n
            FROM (SELECT org_id, status, 1 AS n FROM new_rows
                  UNION ALL SELECT org_id, status, -1 FROM old_rows) AS moves
            GROUP BY 1, 2 HAVING sum(n) <> 0
        ), fewer AS (
            UPDATE grant_counts AS c SET n = c.n + d.n FROM d
            WHERE d.n < 0 AND c.org_id = d.org_id AND c.status = d.status
        )
        INSERT INTO grant_counts AS c (org_id, status, n)
            SELECT org_id, status, n FROM d WHERE n > 0
            ON CONFLICT (org_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER grants_count_insert AFTER INSERT ON grants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_count();
CREATE TRIGGER grants_count_delete AFTER DELETE ON grants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_count();
CREATE TRIGGER grants_count_update AFTER UPDATE ON grants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION grants_count();
CREATE TRIGGER grants_count_truncate AFTER TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION grants_count();

-- +goose Down
DROP TRIGGER grants_count_truncate ON grants;
DROP TRIGGER grants_count_update ON grants;
DROP TRIGGER grants_count_delete ON grants;
DROP TRIGGER grants_count_insert ON grants;
DROP FUNCTION grants_count();
DROP TABLE grant_counts;
