-- Sharing (issue 15): who may open an app, the secret links that open link apps, and the groups the OIDC provider
-- gives a user (passed to apps as X-Kiosc-Groups). access is a setting of containers and templates like every other
-- (project, site, link or public); whether link and public access may be used at all is the site setting
-- "sharing" in the settings table. A link's secret is stored only as its hash; revoking a link deletes its row.

-- +goose Up
ALTER TABLE containers ADD COLUMN access TEXT NOT NULL DEFAULT 'project';
ALTER TABLE templates ADD COLUMN access TEXT NOT NULL DEFAULT 'project';
ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '[]'; -- JSON array of group names from the OIDC claim

CREATE TABLE container_links (
    id             INTEGER PRIMARY KEY,
    container_uuid TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    secret_hash    TEXT    NOT NULL UNIQUE,
    prefix         TEXT    NOT NULL DEFAULT '', -- the first characters of the secret, to recognize a link
    created_by     TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    expires_at     TEXT,                        -- NULL: until revoked
    used_at        TEXT                         -- last time the link was opened
);
CREATE INDEX container_links_container ON container_links (container_uuid);

-- +goose Down
DROP TABLE container_links;
ALTER TABLE users DROP COLUMN groups;
ALTER TABLE templates DROP COLUMN access;
ALTER TABLE containers DROP COLUMN access;
