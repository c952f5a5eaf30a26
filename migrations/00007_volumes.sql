-- Volumes (issue 12): Docker named volumes mounted into containers, so that work survives a stop, a restart and a
-- re-created container. The settings (volumes, the user a container runs as, a read-only root file system) are
-- columns of containers and templates like every other setting. The volumes table keeps one row per Docker volume
-- kiosc created, so that listings, retention and removal never guess from Docker's labels: a container-scope volume
-- belongs to one container (container_uuid) and is kept after that container is deleted, unless the deletion asked
-- to remove it, until the remove-volumes task removes it after KIOSC_REMOVE_VOLUMES_AFTER; a project-scope volume
-- is shared by the project's containers that mount it by name and is removed only on request. Nothing here points
-- at the containers table: a kept volume outlives its container's record.

-- +goose Up
ALTER TABLE containers ADD COLUMN volumes TEXT NOT NULL DEFAULT '[]'; -- JSON array of {name, mount_path, scope, read_only}
ALTER TABLE containers ADD COLUMN run_user TEXT NOT NULL DEFAULT '';
ALTER TABLE containers ADD COLUMN read_only_rootfs INTEGER NOT NULL DEFAULT 0;
-- What the pending deletion does with the container's own volumes: '' or 'keep' (kept for the retention time), 'delete'.
ALTER TABLE containers ADD COLUMN volumes_on_delete TEXT NOT NULL DEFAULT '';
ALTER TABLE templates ADD COLUMN volumes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE templates ADD COLUMN run_user TEXT NOT NULL DEFAULT '';
ALTER TABLE templates ADD COLUMN read_only_rootfs INTEGER NOT NULL DEFAULT 0;

CREATE TABLE volumes (
    id                   INTEGER PRIMARY KEY,
    scope                TEXT    NOT NULL,             -- container or project
    project_id           INTEGER NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    container_uuid       TEXT    NOT NULL DEFAULT '',  -- container scope: the container it belongs to; '' for project scope
    container_title      TEXT    NOT NULL DEFAULT '',  -- that container's title, for listings after it is deleted
    name                 TEXT    NOT NULL,             -- kiosc's name, as in the container's settings
    docker_name          TEXT    NOT NULL UNIQUE,
    owner                TEXT    NOT NULL DEFAULT '',  -- uid:gid kiosc gave the volume's root directory ('' none)
    created_by           TEXT    NOT NULL DEFAULT '',
    created_at           TEXT    NOT NULL,
    last_used_at         TEXT,                         -- last start of a container that mounts it
    container_deleted_at TEXT,                         -- container scope: its container was deleted, the volume kept
    remove_after         TEXT,                         -- a removal was asked for and is retried from then on
    size                 INTEGER,                      -- bytes, as the engine last measured (NULL: unknown)
    size_at              TEXT,
    UNIQUE (scope, project_id, container_uuid, name)
);
CREATE INDEX volumes_container ON volumes (container_uuid);

-- +goose Down
DROP TABLE volumes;
ALTER TABLE templates DROP COLUMN read_only_rootfs;
ALTER TABLE templates DROP COLUMN run_user;
ALTER TABLE templates DROP COLUMN volumes;
ALTER TABLE containers DROP COLUMN volumes_on_delete;
ALTER TABLE containers DROP COLUMN read_only_rootfs;
ALTER TABLE containers DROP COLUMN run_user;
ALTER TABLE containers DROP COLUMN volumes;
