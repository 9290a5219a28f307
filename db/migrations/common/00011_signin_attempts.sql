-- +goose Up
-- Sign-in attempts counted as failures (every attempt counts from its
-- start until it succeeds) per account and per client address, shared by
-- every process on this database, so that a limit holds however many
-- servers a client spreads its guesses over. A row counts the failures of
-- one key since the start of its window; once the window has ended the row
-- means nothing and is deleted by a later sign-in. Times are stored as
-- every table stores them (UTC text, sortable); keys are compared for
-- equality only.
CREATE TABLE signin_attempts (
    kind     TEXT   NOT NULL CHECK (kind IN ('account', 'address')),
    key      TEXT   NOT NULL,
    failures BIGINT NOT NULL CHECK (failures >= 0),
    started  TEXT   NOT NULL,
    PRIMARY KEY (kind, key)
);
-- The windows that ended, oldest first, for the sweep.
CREATE INDEX signin_attempts_by_start ON signin_attempts(started);

-- +goose Down
DROP TABLE signin_attempts;
