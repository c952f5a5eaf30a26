-- Container templates (spec section 10): reusable container configurations, either for the whole site (project
-- NULL, maintained by superusers) or for one project (contributors and up). A template carries every configuration
-- field of a container except secrets and registry credentials, which are never copied anywhere. A project template
-- copied from a site template keeps a link to it (site_template) so the two can be compared field by field and
-- upstream changes applied; deleting the site template unlinks its copies and keeps them. Titles are unique per
-- scope: once among the site templates, once per project.

-- +goose Up
CREATE TABLE templates (
    id               INTEGER PRIMARY KEY,
    uuid             TEXT    NOT NULL UNIQUE,
    project_id       INTEGER REFERENCES projects (id) ON DELETE CASCADE, -- NULL: site template
    site_template_id INTEGER REFERENCES templates (id) ON DELETE SET NULL,
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    image            TEXT    NOT NULL,
    command          TEXT    NOT NULL DEFAULT '',
    environment      TEXT    NOT NULL DEFAULT '{}', -- JSON object of strings
    container_port   INTEGER NOT NULL DEFAULT 80,
    container_path   TEXT    NOT NULL DEFAULT '',
    heartbeat_url    TEXT    NOT NULL DEFAULT '',
    strip_prefix     INTEGER NOT NULL DEFAULT 1,
    startup_timeout  INTEGER NOT NULL DEFAULT 0,    -- seconds, 0 = site default
    max_idle         INTEGER NOT NULL DEFAULT 0,
    max_lifetime     INTEGER NOT NULL DEFAULT 0,
    memory_limit     INTEGER NOT NULL DEFAULT 0,    -- bytes
    cpu_limit        REAL    NOT NULL DEFAULT 0,
    pids_limit       INTEGER NOT NULL DEFAULT 0,
    max_retries      INTEGER NOT NULL DEFAULT 0,
    pull_policy      TEXT    NOT NULL DEFAULT 'if-missing',
    created_by       TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);
-- NULL project IDs are distinct in a plain UNIQUE constraint, so site templates are grouped under 0.
CREATE UNIQUE INDEX templates_scope_title ON templates (coalesce(project_id, 0), title);
CREATE INDEX templates_site_template ON templates (site_template_id);
CREATE INDEX containers_template ON containers (template);

-- +goose Down
DROP INDEX containers_template;
DROP TABLE templates;
