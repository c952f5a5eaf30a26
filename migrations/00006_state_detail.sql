-- The Docker engine's own text of a failed pull, create or start, kept apart from state_message. The message tells
-- the cause in words to everyone who sees the container (guests too); the engine's text names hosts, ports and
-- addresses as the Docker host sees them (a pull of 10.0.0.5:22/x answers whether something listens there), so it is
-- shown only to those who manage the container.

-- +goose Up
ALTER TABLE containers ADD COLUMN state_detail TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE containers DROP COLUMN state_detail;
