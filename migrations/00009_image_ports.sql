-- The TCP ports the image of a container declares with EXPOSE, as a JSON array, written at each create of its Docker
-- container (so also after the first pull of a remote image). The container page warns when the port kiosc probes is
-- not among them, and a startup that times out names them.

-- +goose Up
ALTER TABLE containers ADD COLUMN image_ports TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE containers DROP COLUMN image_ports;
