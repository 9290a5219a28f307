-- +goose Up
-- An organization's webhooks: where deliveries go, the secret that signs
-- them ('' for none), whether the hook is active, and the events it is
-- subscribed to (space-separated). Ids never come back after a deletion,
-- so a deleted hook's id never names another.
CREATE TABLE hooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1,
    events     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX hooks_by_org ON hooks(org_id, id);

-- The outbox of deliveries: each written in the transaction of the change
-- it reports (a rolled-back change leaves none), with its body as it was
-- then. A pending delivery is due at next_attempt_at; a worker that claims
-- it moves that time to the end of its lease and names itself in
-- claimed_by, so another worker takes it only once the lease has run out.
CREATE TABLE hook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id         INTEGER NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    guid            TEXT NOT NULL UNIQUE,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT NOT NULL DEFAULT '',
    status_code     INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    response        TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    redelivery      INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hook_deliveries_by_hook ON hook_deliveries(hook_id, id);
CREATE INDEX hook_deliveries_due ON hook_deliveries(next_attempt_at) WHERE state = 'pending';
-- Finished deliveries, oldest first, for the sweep of those past keeping.
CREATE INDEX hook_deliveries_done ON hook_deliveries(created_at) WHERE state <> 'pending';

-- +goose Down
DROP TABLE hook_deliveries;
DROP TABLE hooks;
