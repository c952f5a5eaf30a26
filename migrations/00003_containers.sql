-- Containers and what kiosc records about them: the container records (desired and observed state, configuration,
-- encrypted secrets), kiosc's own per-container events, background jobs with progress, and stored Docker log lines
-- (kept after the Docker container is gone, capped per container by the retention setting).

-- +goose Up
CREATE TABLE containers (
    id                 INTEGER PRIMARY KEY,
    uuid               TEXT    NOT NULL UNIQUE,
    project_id         INTEGER NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    title              TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    image              TEXT    NOT NULL,
    command            TEXT    NOT NULL DEFAULT '',
    environment        TEXT    NOT NULL DEFAULT '{}', -- JSON object of strings
    secret_environment TEXT,                          -- encrypted JSON object, NULL when none
    secret_keys        TEXT    NOT NULL DEFAULT '[]', -- sorted names of the secret variables
    registry_auth      TEXT,                          -- encrypted JSON {"username","password"}, NULL when none
    container_port     INTEGER NOT NULL DEFAULT 80,
    container_path     TEXT    NOT NULL DEFAULT '',
    heartbeat_url      TEXT    NOT NULL DEFAULT '',
    strip_prefix       INTEGER NOT NULL DEFAULT 1,
    startup_timeout    INTEGER NOT NULL DEFAULT 0,    -- seconds, 0 = site default
    max_idle           INTEGER NOT NULL DEFAULT 0,
    max_lifetime       INTEGER NOT NULL DEFAULT 0,
    memory_limit       INTEGER NOT NULL DEFAULT 0,    -- bytes
    cpu_limit          REAL    NOT NULL DEFAULT 0,
    pids_limit         INTEGER NOT NULL DEFAULT 0,
    max_retries        INTEGER NOT NULL DEFAULT 0,
    pull_policy        TEXT    NOT NULL DEFAULT 'if-missing',
    template           TEXT,
    state              TEXT    NOT NULL DEFAULT 'initial',
    state_reason       TEXT    NOT NULL DEFAULT '',
    state_message      TEXT    NOT NULL DEFAULT '',
    desired_state      TEXT    NOT NULL DEFAULT 'stopped',
    docker_id          TEXT    NOT NULL DEFAULT '',
    docker_state       TEXT    NOT NULL DEFAULT '',
    network_mode       TEXT    NOT NULL DEFAULT '',   -- mode the Docker container was created in
    exit_code          INTEGER,
    oom_killed         INTEGER NOT NULL DEFAULT 0,
    host_port          INTEGER,
    upstream           TEXT    NOT NULL DEFAULT '',   -- host:port the proxy dials while running
    ready_at           TEXT,
    started_at         TEXT,
    stopped_at         TEXT,
    last_access_at     TEXT,
    restart_pending    INTEGER NOT NULL DEFAULT 0,
    retries            INTEGER NOT NULL DEFAULT 0,
    created_by         TEXT    NOT NULL DEFAULT '',
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    UNIQUE (project_id, title)
);
CREATE INDEX containers_state ON containers (state);

CREATE TABLE container_events (
    id             INTEGER PRIMARY KEY,
    container_uuid TEXT NOT NULL, -- no foreign key: events outlive nothing, but are deleted with the record
    time           TEXT NOT NULL,
    level          TEXT NOT NULL,
    message        TEXT NOT NULL,
    username       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX container_events_container ON container_events (container_uuid, id);

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    uuid           TEXT NOT NULL UNIQUE,
    container_uuid TEXT NOT NULL,
    action         TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'queued',
    step           TEXT NOT NULL DEFAULT '',
    message        TEXT NOT NULL DEFAULT '',
    progress       TEXT, -- JSON {"current","total","percent"}
    username       TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    finished_at    TEXT
);
CREATE INDEX jobs_container ON jobs (container_uuid, id);

CREATE TABLE container_logs (
    id             INTEGER PRIMARY KEY,
    container_uuid TEXT NOT NULL,
    time           TEXT NOT NULL,
    stream         TEXT NOT NULL,
    line           TEXT NOT NULL
);
CREATE INDEX container_logs_container ON container_logs (container_uuid, id);

-- +goose Down
DROP TABLE container_logs;
DROP TABLE jobs;
DROP TABLE container_events;
DROP TABLE containers;
