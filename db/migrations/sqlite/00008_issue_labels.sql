-- +goose Up
-- A repository's labels, made by the first issue that names them (as
-- GitHub makes a label an issue names that does not exist yet), and which
-- issues carry them. Assignees are users; an issue keeps them in order of
-- login when it is answered.
CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    repo_id     INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    name        TEXT NOT NULL COLLATE NOCASE,
    color       TEXT NOT NULL,
    description TEXT,
    UNIQUE (repo_id, name)
);

CREATE TABLE issue_labels (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, label_id)
) WITHOUT ROWID;
CREATE INDEX issue_labels_by_label ON issue_labels(label_id);

CREATE TABLE issue_assignees (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, user_id)
) WITHOUT ROWID;
CREATE INDEX issue_assignees_by_user ON issue_assignees(user_id);

-- +goose Down
DROP TABLE issue_assignees;
DROP TABLE issue_labels;
DROP TABLE labels;
