-- +goose Up
-- How many unread notifications each user has, kept by triggers in the
-- transaction of every change, so that the page header can show the count
-- without counting the notifications of a busy owner on every request.
-- As for grant_counts, the triggers run once per statement and apply its
-- net change per user: marking a thousand notifications read moves the
-- count once. A TRUNCATE leaves every count at 0.
CREATE TABLE unread_counts (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    n       BIGINT NOT NULL
);
INSERT INTO unread_counts SELECT user_id, count(*) FROM notifications WHERE read_at IS NULL GROUP BY 1;

-- +goose StatementBegin
CREATE FUNCTION notifications_unread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO unread_counts AS c (user_id, n)
            SELECT user_id, count(*) FROM new_rows WHERE read_at IS NULL GROUP BY 1
            ON CONFLICT (user_id) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE unread_counts AS c SET n = c.n - d.n
            FROM (SELECT user_id, count(*) AS n FROM old_rows WHERE read_at IS NULL GROUP BY 1) AS d
            WHERE c.user_id = d.user_id;
    ELSIF TG_OP = 'TRUNCATE' THEN
        UPDATE unread_counts SET n = 0 WHERE n <> 0;
    ELSE
        WITH d AS (
            SELECT user_id, sum(n) AS n
            FROM (SELECT user_id, 1 AS n FROM new_rows WHERE read_at IS NULL
                  UNION ALL SELECT user_id, -1 FROM old_rows WHERE read_at IS NULL) AS moves
            GROUP BY 1 HAVING sum(n) <> 0
        ), fewer AS (
            UPDATE unread_counts AS c SET n = c.n + d.n FROM d
            WHERE d.n < 0 AND c.user_id = d.user_id
        )
        INSERT INTO unread_counts AS c (user_id, n)
            SELECT user_id, n FROM d WHERE n > 0
            ON CONFLICT (user_id) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER notifications_unread_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notifications_unread();
CREATE TRIGGER notifications_unread_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notifications_unread();
CREATE TRIGGER notifications_unread_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notifications_unread();
CREATE TRIGGER notifications_unread_truncate AFTER TRUNCATE ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_unread();

-- +goose Down
DROP TRIGGER notifications_unread_truncate ON notifications;
DROP TRIGGER notifications_unread_update ON notifications;
DROP TRIGGER notifications_unread_delete ON notifications;
DROP TRIGGER notifications_unread_insert ON notifications;
DROP FUNCTION notifications_unread();
DROP TABLE unread_counts;
