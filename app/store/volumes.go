package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/bihealth/kiosc/app/settings"
)

// Volume is a Docker named volume kiosc created for a container (container scope) or for the containers of a project
// (project scope). The record is what listings, retention and removal go by: a container-scope volume stays after its
// container is deleted (ContainerDeletedAt) until it is removed on request or after the retention time.
type Volume struct {
	ID             int64
	Scope          string // settings.ScopeContainer or settings.ScopeProject
	ProjectID      int64
	ProjectUUID    string
	ContainerUUID  string // container scope: the container it belongs to
	ContainerTitle string
	Name           string
	DockerName     string
	// Owner is the uid:gid kiosc gave the volume's root directory ("" none).
	Owner              string
	CreatedBy          string
	CreatedAt          time.Time
	LastUsedAt         *time.Time
	ContainerDeletedAt *time.Time
	// RemoveAfter is set when a removal was asked for but did not happen yet; the remove-volumes task retries it.
	RemoveAfter *time.Time
	Size        *int64
	SizeAt      *time.Time
}

// Kept reports whether v is a container-scope volume whose container was deleted.
func (v *Volume) Kept() bool { return v.ContainerDeletedAt != nil }

const volumeCols = `v.id, v.scope, v.project_id, p.uuid, v.container_uuid, v.container_title, v.name, v.docker_name, v.owner,
	v.created_by, v.created_at, v.last_used_at, v.container_deleted_at, v.remove_after, v.size, v.size_at`
const volumeFrom = ` FROM volumes v JOIN projects p ON p.id = v.project_id`

func scanVolume(row rowScanner) (*Volume, error) {
	v := &Volume{}
	var size sql.NullInt64
	err := row.Scan(&v.ID, &v.Scope, &v.ProjectID, &v.ProjectUUID, &v.ContainerUUID, &v.ContainerTitle, &v.Name, &v.DockerName,
		&v.Owner, &v.CreatedBy, timeCol{&v.CreatedAt}, nullTimeCol{&v.LastUsedAt}, nullTimeCol{&v.ContainerDeletedAt},
		nullTimeCol{&v.RemoveAfter}, &size, nullTimeCol{&v.SizeAt})
	if err != nil {
		return nil, notFound(err)
	}
	if size.Valid {
		v.Size = &size.Int64
	}
	return v, nil
}

// scanVolumes decodes the volumes column of containers and templates (no volumes: nil).
func scanVolumes(s string) (settings.Volumes, error) {
	var out settings.Volumes
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// EnsureVolume returns the record of v's Docker volume (by DockerName), inserting v when there is none; created
// tells which. The scope, project, container and name of an existing record win over v's.
func (s *Store) EnsureVolume(ctx context.Context, v *Volume) (*Volume, bool, error) {
	if v.CreatedAt.IsZero() {
		v.CreatedAt = storedNow()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO volumes (scope, project_id, container_uuid, container_title, name, docker_name,
		owner, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`,
		v.Scope, v.ProjectID, v.ContainerUUID, v.ContainerTitle, v.Name, v.DockerName, v.Owner, v.CreatedBy, ts(v.CreatedAt))
	if err != nil {
		return nil, false, err
	}
	n, _ := res.RowsAffected()
	got, err := s.GetVolumeByDockerName(ctx, v.DockerName)
	return got, n == 1, err
}

// GetVolumeByDockerName returns the record of a Docker volume.
func (s *Store) GetVolumeByDockerName(ctx context.Context, dockerName string) (*Volume, error) {
	return scanVolume(s.db.QueryRowContext(ctx, `SELECT `+volumeCols+volumeFrom+` WHERE v.docker_name = ?`, dockerName))
}

// VolumeFilter narrows ListVolumes; empty fields do not filter.
type VolumeFilter struct {
	ProjectUUID   string
	ContainerUUID string
	Scope         string
	Name          string
}

// ListVolumes returns the volume records matching f, ordered by project, scope, container and name.
func (s *Store) ListVolumes(ctx context.Context, f VolumeFilter) ([]*Volume, error) {
	where, args := "1=1", []any{}
	for _, c := range []struct{ col, v string }{{"p.uuid", f.ProjectUUID}, {"v.container_uuid", f.ContainerUUID},
		{"v.scope", f.Scope}, {"v.name", f.Name}} {
		if c.v != "" {
			where += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+volumeCols+volumeFrom+` WHERE `+where+
		` ORDER BY p.title, v.scope DESC, v.container_title, v.container_uuid, v.name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Volume{}
	for rows.Next() {
		v, err := scanVolume(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UpdateVolumeOwner records the uid:gid kiosc gave the volume's root.
func (s *Store) UpdateVolumeOwner(ctx context.Context, id int64, owner string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE volumes SET owner=? WHERE id=?`, owner, id)
	return affectedOne(res, err)
}

// TouchVolume records that a container that mounts the volume was started at t, and the container's current title.
func (s *Store) TouchVolume(ctx context.Context, id int64, t time.Time, containerTitle string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE volumes SET last_used_at=?,
		container_title = CASE WHEN scope = 'container' THEN ? ELSE container_title END WHERE id=?`, ts(t), containerTitle, id)
	return affectedOne(res, err)
}

// KeepContainerVolumes marks the container-scope volumes of a deleted container as kept since at (the retention
// time counts from then) and returns them.
func (s *Store) KeepContainerVolumes(ctx context.Context, containerUUID string, at time.Time) ([]*Volume, error) {
	if _, err := s.db.ExecContext(ctx, `UPDATE volumes SET container_deleted_at = coalesce(container_deleted_at, ?)
		WHERE scope = 'container' AND container_uuid = ?`, ts(at), containerUUID); err != nil {
		return nil, err
	}
	return s.ListVolumes(ctx, VolumeFilter{ContainerUUID: containerUUID, Scope: settings.ScopeContainer})
}

// MarkVolumeRemoval records that the volume is to be removed from at on (the remove-volumes task retries it).
func (s *Store) MarkVolumeRemoval(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE volumes SET remove_after = coalesce(remove_after, ?) WHERE id=?`, ts(at), id)
	return affectedOne(res, err)
}

// DeleteVolume removes a volume record.
func (s *Store) DeleteVolume(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM volumes WHERE id=?`, id)
	return affectedOne(res, err)
}

// UpdateVolumeSizes stores the sizes the engine measured at at, by Docker name; volumes it did not measure keep
// theirs.
func (s *Store) UpdateVolumeSizes(ctx context.Context, sizes map[string]int64, at time.Time) error {
	if len(sizes) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for name, size := range sizes {
			if _, err := tx.ExecContext(ctx, `UPDATE volumes SET size=?, size_at=? WHERE docker_name=?`, size, ts(at), name); err != nil {
				return err
			}
		}
		return nil
	})
}
