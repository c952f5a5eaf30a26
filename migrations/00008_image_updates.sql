-- The image a container runs and what the last check for an update of it found. image_id and image_digest are
-- written at each create of the Docker container: the image's ID and its repository digest (repo@sha256:..., as
-- Docker lists it in RepoDigests) or, for an image that was never pulled from a registry under its name, the image
-- ID again. The update columns hold the last check's outcome; a check only reads, it never changes what runs.

-- +goose Up
ALTER TABLE containers ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE containers ADD COLUMN image_digest TEXT NOT NULL DEFAULT '';
-- unchecked, up_to_date, available, pinned, local or failed (see store.UpdateStatus)
ALTER TABLE containers ADD COLUMN update_status TEXT NOT NULL DEFAULT 'unchecked';
-- whether the registry has another image under the tag (kept when a later check fails)
ALTER TABLE containers ADD COLUMN update_available INTEGER NOT NULL DEFAULT 0;
-- the registry's digest of the tag at the last check that reached it (repo@sha256:...)
ALTER TABLE containers ADD COLUMN available_digest TEXT NOT NULL DEFAULT '';
-- the outcome of the last check in words
ALTER TABLE containers ADD COLUMN update_message TEXT NOT NULL DEFAULT '';
ALTER TABLE containers ADD COLUMN update_checked_at TEXT;

-- +goose Down
ALTER TABLE containers DROP COLUMN update_checked_at;
ALTER TABLE containers DROP COLUMN update_message;
ALTER TABLE containers DROP COLUMN available_digest;
ALTER TABLE containers DROP COLUMN update_available;
ALTER TABLE containers DROP COLUMN update_status;
ALTER TABLE containers DROP COLUMN image_digest;
ALTER TABLE containers DROP COLUMN image_id;
