package store

import (
	"context"
	"time"
)

// UpdateStatus is the outcome of the last check for a newer image under a container's tag.
type UpdateStatus string

// Outcomes of an update check.
const (
	// UpdateUnchecked: never checked, or the image reference changed since.
	UpdateUnchecked UpdateStatus = "unchecked"
	// UpdateUpToDate: the registry's image of the tag is the one the container runs (or will run at its next start).
	UpdateUpToDate UpdateStatus = "up_to_date"
	// UpdateAvailable: the registry has another image under the tag (AvailableDigest).
	UpdateAvailable UpdateStatus = "available"
	// UpdatePinned: the image is referenced by digest, so it never changes.
	UpdatePinned UpdateStatus = "pinned"
	// UpdateLocal: the image was built or loaded on the Docker host, not pulled from a registry under its name, so
	// there is nothing to compare it with.
	UpdateLocal UpdateStatus = "local"
	// UpdateFailed: the registry could not be asked (the message says why); the other fields keep what the last
	// successful check found.
	UpdateFailed UpdateStatus = "failed"
)

// UpdateStatuses lists every outcome.
var UpdateStatuses = []UpdateStatus{UpdateUnchecked, UpdateUpToDate, UpdateAvailable, UpdatePinned, UpdateLocal, UpdateFailed}

// UpdateCheck is what the last check for a newer image found.
type UpdateCheck struct {
	UpdateStatus UpdateStatus
	// UpdateAvailable: the registry has another image under the tag. A failed check keeps what the last check
	// that reached the registry found.
	UpdateAvailable bool
	// AvailableDigest is the registry's digest of the tag (repo@sha256:...) at the last check that reached it.
	AvailableDigest string
	// UpdateMessage tells the outcome in words (never the engine's own text).
	UpdateMessage   string
	UpdateCheckedAt *time.Time
}

// RecordUpdateCheck stores the outcome of a check made while the container's image digest was basis. It is stored
// only if the digest still is basis (a create in between makes the outcome stale) and reports whether it was.
func (s *Store) RecordUpdateCheck(ctx context.Context, uuid, basis string, u UpdateCheck) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE containers SET update_status=?, update_available=?, available_digest=?,
		update_message=?, update_checked_at=?, updated_at=? WHERE uuid=? AND image_digest=?`,
		u.UpdateStatus, u.UpdateAvailable, u.AvailableDigest, u.UpdateMessage, nts(u.UpdateCheckedAt), ts(time.Now()), uuid, basis)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ResetUpdateCheck forgets the last check, e.g. after the image reference changed.
func (s *Store) ResetUpdateCheck(ctx context.Context, uuid string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE containers SET update_status=?, update_available=0, available_digest='', update_message='',
		update_checked_at=NULL, updated_at=? WHERE uuid=?`, UpdateUnchecked, ts(time.Now()), uuid)
	return err
}
