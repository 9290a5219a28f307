-- +goose Up
-- How many unread notifications each user has, kept by triggers in the
-- transaction of every change, so that the page header can show the count
-- without counting the notifications of a busy owner on every request.
CREATE TABLE unread_counts (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    n       INTEGER NOT NULL
);
INSERT INTO unread_counts SELECT user_id, count(*) FROM notifications WHERE read_at IS NULL GROUP BY 1;

-- +goose StatementBegin
CREATE TRIGGER notifications_unread_insert AFTER INSERT ON notifications
    WHEN NEW.read_at IS NULL BEGIN
    INSERT INTO unread_counts VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER notifications_unread_delete AFTER DELETE ON notifications
    WHEN OLD.read_at IS NULL BEGIN
    UPDATE unread_counts SET n = n - 1 WHERE user_id = OLD.user_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER notifications_unread_update AFTER UPDATE OF user_id, read_at ON notifications
    WHEN (OLD.read_at IS NULL) IS NOT (NEW.read_at IS NULL) OR OLD.user_id IS NOT NEW.user_id BEGIN
    UPDATE unread_counts SET n = n - 1 WHERE user_id = OLD.user_id AND OLD.read_at IS NULL;
    INSERT INTO unread_counts SELECT NEW.user_id, 1 WHERE NEW.read_at IS NULL
        ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER notifications_unread_update;
DROP TRIGGER notifications_unread_delete;
DROP TRIGGER notifications_unread_insert;
DROP TABLE unread_counts;
