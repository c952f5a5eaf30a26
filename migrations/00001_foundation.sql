-- Foundation schema: instance settings, users with their login sessions and API tokens, projects and categories
-- with role assignments, and the timeline. Timestamps are TEXT in RFC 3339 UTC with millisecond precision so they
-- sort as strings and stay readable in the sqlite3 shell.

-- +goose Up
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    is_superuser  INTEGER NOT NULL DEFAULT 0,
    is_active     INTEGER NOT NULL DEFAULT 1,
    source        TEXT    NOT NULL CHECK (source IN ('local', 'oidc', 'sodar')),
    password_hash TEXT,
    -- The OIDC subject is bound on the first OIDC login and never silently replaced.
    oidc_issuer   TEXT,
    oidc_subject  TEXT,
    sodar_uuid    TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    last_login_at TEXT,
    UNIQUE (oidc_issuer, oidc_subject)
);

-- Sessions are keyed by a hash of the cookie value: a copy of the database holds no usable session.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    auth_method  TEXT    NOT NULL CHECK (auth_method IN ('local', 'oidc')),
    -- Encrypted ID token, kept only to end the provider's session on logout (id_token_hint).
    id_token_enc TEXT,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- API tokens are stored as SHA-256 hashes; the secret is shown once at creation.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL CHECK (type IN ('PROJECT', 'CATEGORY')),
    -- Categories cannot be deleted while they hold anything (RESTRICT), so nothing is orphaned.
    parent_id   INTEGER REFERENCES projects (id) ON DELETE RESTRICT,
    source      TEXT NOT NULL CHECK (source IN ('local', 'sodar')),
    -- For projects mirrored from SODAR: the remote access level (READ_ROLES, REVOKED, READ_INFO, ...).
    sodar_level TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- Titles are unique among siblings, as in SODAR.
CREATE UNIQUE INDEX projects_parent_title ON projects (coalesce(parent_id, 0), title);

CREATE TABLE role_assignments (
    id         INTEGER PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'delegate', 'contributor', 'guest', 'viewer', 'finder')),
    source     TEXT    NOT NULL CHECK (source IN ('local', 'sodar')),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (project_id, user_id)
);
CREATE INDEX role_assignments_user ON role_assignments (user_id);

-- The timeline keeps project and user as plain values so events outlive what they describe.
CREATE TABLE timeline_events (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT NOT NULL UNIQUE,
    time         TEXT NOT NULL,
    project_uuid TEXT,
    username     TEXT NOT NULL,
    event_name   TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('OK', 'FAILED', 'INFO')),
    object_type  TEXT NOT NULL DEFAULT '',
    object_uuid  TEXT NOT NULL DEFAULT '',
    extra_data   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_events_project ON timeline_events (project_uuid, id);
CREATE INDEX timeline_events_object ON timeline_events (object_uuid, id);

-- +goose Down
DROP TABLE timeline_events;
DROP TABLE role_assignments;
DROP TABLE projects;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE settings;
