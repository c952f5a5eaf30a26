package store

import (
	"context"
	"time"
)

// ContainerLink is a secret link that opens one container's app to whoever holds it, while the container's access
// level is link. Only the hash of the secret is stored; revoking a link deletes it.
type ContainerLink struct {
	ID            int64
	ContainerUUID string
	Name          string
	SecretHash    string
	Prefix        string // the first characters of the secret
	CreatedBy     string
	CreatedAt     time.Time
	ExpiresAt     *time.Time // nil: until revoked
	UsedAt        *time.Time // last time the link was opened
}

// Expired reports whether the link has expired at now.
func (l *ContainerLink) Expired(now time.Time) bool {
	return l.ExpiresAt != nil && !now.Before(*l.ExpiresAt)
}

const linkCols = `id, container_uuid, name, secret_hash, prefix, created_by, created_at, expires_at, used_at`

func scanLink(row rowScanner) (*ContainerLink, error) {
	l := &ContainerLink{}
	err := row.Scan(&l.ID, &l.ContainerUUID, &l.Name, &l.SecretHash, &l.Prefix, &l.CreatedBy, timeCol{&l.CreatedAt},
		nullTimeCol{&l.ExpiresAt}, nullTimeCol{&l.UsedAt})
	if err != nil {
		return nil, notFound(err)
	}
	return l, nil
}

// CreateContainerLink stores a link and sets its ID and creation time.
func (s *Store) CreateContainerLink(ctx context.Context, l *ContainerLink) error {
	l.CreatedAt = storedNow()
	res, err := s.db.ExecContext(ctx, `INSERT INTO container_links (container_uuid, name, secret_hash, prefix, created_by, created_at,
		expires_at) VALUES (?,?,?,?,?,?,?)`, l.ContainerUUID, l.Name, l.SecretHash, l.Prefix, l.CreatedBy, ts(l.CreatedAt), nts(l.ExpiresAt))
	if err != nil {
		return err
	}
	l.ID, err = res.LastInsertId()
	return err
}

// GetContainerLink returns a link by ID.
func (s *Store) GetContainerLink(ctx context.Context, id int64) (*ContainerLink, error) {
	return scanLink(s.db.QueryRowContext(ctx, `SELECT `+linkCols+` FROM container_links WHERE id = ?`, id))
}

// GetContainerLinkBySecret returns the link whose secret has the given hash.
func (s *Store) GetContainerLinkBySecret(ctx context.Context, hash string) (*ContainerLink, error) {
	return scanLink(s.db.QueryRowContext(ctx, `SELECT `+linkCols+` FROM container_links WHERE secret_hash = ?`, hash))
}

// ListContainerLinks returns a container's links, newest first.
func (s *Store) ListContainerLinks(ctx context.Context, containerUUID string) ([]*ContainerLink, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+linkCols+` FROM container_links WHERE container_uuid = ? ORDER BY id DESC`, containerUUID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*ContainerLink{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteContainerLink removes (revokes) a link of a container.
func (s *Store) DeleteContainerLink(ctx context.Context, containerUUID string, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM container_links WHERE id = ? AND container_uuid = ?`, id, containerUUID)
	return affectedOne(res, err)
}

// TouchContainerLink records that a link was opened.
func (s *Store) TouchContainerLink(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE container_links SET used_at = ? WHERE id = ?`, ts(at), id)
	return err
}
