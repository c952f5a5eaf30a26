-- SODAR target site: every sync run is kept with its outcome (counts per kind and the messages about skipped or
-- unusual entries) so admins can see what the last runs did without reading the server log. The secret is never
-- stored here; it only lives in the configuration.

-- +goose Up
CREATE TABLE sodar_runs (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    -- What started the run: "start", "interval", "ui" (signed-in superuser) or "api" (API token, e.g. the CLI).
    trigger     TEXT NOT NULL,
    username    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    -- running until it ends; ok (nothing skipped), partial (some entries skipped), failed (nothing applied).
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    -- Sync API version SODAR accepted (2.1, 2.0, 1.0); empty when the fetch failed.
    version     TEXT NOT NULL DEFAULT '',
    -- {"projects": {"created": 1, "updated": 0, "removed": 0, "skipped": 0}, "categories": {...}, ...}
    counts      TEXT NOT NULL DEFAULT '{}',
    -- [{"level": "error", "kind": "role", "uuid": "...", "name": "...", "message": "..."}, ...]
    messages    TEXT NOT NULL DEFAULT '[]',
    error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sodar_runs_started ON sodar_runs (started_at);

-- +goose Down
DROP TABLE sodar_runs;
