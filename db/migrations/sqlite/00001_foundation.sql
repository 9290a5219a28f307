-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE enterprises (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name       TEXT NOT NULL,
    opted_in   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE enterprise_owners (
    enterprise_id INTEGER NOT NULL REFERENCES enterprises(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (enterprise_id, user_id)
) WITHOUT ROWID;
CREATE INDEX enterprise_owners_by_user ON enterprise_owners(user_id, enterprise_id);

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    enterprise_id INTEGER REFERENCES enterprises(id),
    opted_in      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX organizations_by_enterprise ON organizations(enterprise_id);

CREATE TABLE memberships (
    org_id  INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id, org_id);

CREATE TABLE repositories (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name       TEXT NOT NULL COLLATE NOCASE,
    private    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE enterprise_policies (
    enterprise_id          INTEGER PRIMARY KEY REFERENCES enterprises(id) ON DELETE CASCADE,
    fine_grained_access    TEXT NOT NULL CHECK (fine_grained_access IN ('no_policy', 'allow', 'restrict')),
    approval               TEXT NOT NULL CHECK (approval IN ('no_policy', 'required', 'disabled')),
    classic_access         TEXT NOT NULL CHECK (classic_access IN ('no_policy', 'allow', 'restrict')),
    fine_grained_max_days  INTEGER NOT NULL DEFAULT 0 CHECK (fine_grained_max_days BETWEEN 0 AND 366),
    classic_max_days       INTEGER NOT NULL DEFAULT 0 CHECK (classic_max_days BETWEEN 0 AND 366),
    exempt_administrators  INTEGER NOT NULL DEFAULT 0,
    version                INTEGER NOT NULL DEFAULT 1,
    updated_at             TEXT NOT NULL
);

CREATE TABLE org_policies (
    org_id                 INTEGER PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    fine_grained_access    TEXT NOT NULL CHECK (fine_grained_access IN ('allow', 'restrict')),
    approval               TEXT NOT NULL CHECK (approval IN ('required', 'not_required')),
    classic_access         TEXT NOT NULL CHECK (classic_access IN ('allow', 'restrict')),
    fine_grained_max_days  INTEGER NOT NULL DEFAULT 0 CHECK (fine_grained_max_days BETWEEN 0 AND 366),
    classic_max_days       INTEGER NOT NULL DEFAULT 0 CHECK (classic_max_days BETWEEN 0 AND 366),
    version                INTEGER NOT NULL DEFAULT 1,
    updated_at             TEXT NOT NULL
);

CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER REFERENCES organizations(id) ON DELETE CASCADE,
    enterprise_id INTEGER REFERENCES enterprises(id) ON DELETE CASCADE,
    actor_id      INTEGER REFERENCES users(id),
    action        TEXT NOT NULL,
    details       TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX audit_events_by_org ON audit_events(org_id, id);
CREATE INDEX audit_events_by_org_action ON audit_events(org_id, action, id);
CREATE INDEX audit_events_by_enterprise ON audit_events(enterprise_id, id);
CREATE INDEX audit_events_by_actor ON audit_events(actor_id);

CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE app_settings;
DROP TABLE audit_events;
DROP TABLE org_policies;
DROP TABLE enterprise_policies;
DROP TABLE repositories;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE enterprise_owners;
DROP TABLE enterprises;
DROP TABLE users;
