-- +goose Up
-- Calls counted per key in windows of a fixed length, for limits that must
-- hold across every process on the database (revoking tokens by their value
-- is limited per client address). A window starts with its key's first call
-- and ends its length later; rows of ended windows are swept in batches by
-- later calls of the same limit.
CREATE TABLE call_windows (
    name    TEXT   NOT NULL,
    key     TEXT   NOT NULL,
    used    BIGINT NOT NULL CHECK (used >= 0),
    started TEXT   NOT NULL,
    PRIMARY KEY (name, key)
);
-- The windows of one limit that ended, oldest first, for the sweep.
CREATE INDEX call_windows_by_start ON call_windows(name, started);

-- +goose Down
DROP TABLE call_windows;
