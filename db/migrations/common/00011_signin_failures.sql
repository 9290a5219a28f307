-- +goose Up
-- Failed sign-ins counted per account and per client address, shared by
-- every process on this database, so that a limit holds however many
-- servers a client spreads its guesses over. A row counts the failures of
-- one key since the start of its window; once the window has ended the row
-- means nothing and is deleted by a later sign-in. Times are stored as
-- every table stores them (UTC text, sortable); keys are compared for
-- equality only.
CREATE TABLE signin_failures (
    kind     TEXT   NOT NULL CHECK (kind IN ('account', 'address')),
    key      TEXT   NOT NULL,
    failures BIGINT NOT NULL CHECK (failures >= 0),
    started  TEXT   NOT NULL,
    PRIMARY KEY (kind, key)
);
-- The windows that ended, oldest first, for the sweep.
CREATE INDEX signin_failures_by_start ON signin_failures(started);

-- +goose Down
DROP TABLE signin_failures;
