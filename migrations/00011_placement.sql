-- Where on a Docker Swarm a container may run (KIOSC_RUNTIME=swarm): its placement constraints, comma separated,
-- such as node.labels.gpu==true, added to the site's KIOSC_SWARM_PLACEMENT. A column of containers and of templates,
-- like every other setting; a single Docker engine ignores it.

-- +goose Up
ALTER TABLE containers ADD COLUMN placement TEXT NOT NULL DEFAULT '';
ALTER TABLE templates ADD COLUMN placement TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE templates DROP COLUMN placement;
ALTER TABLE containers DROP COLUMN placement;
