package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
)

// RoleAssignment gives a user a role in a project or category.
type RoleAssignment struct {
	ID          int64
	UUID        string
	ProjectID   int64
	ProjectUUID string
	UserID      int64
	Username    string
	Role        string
	Source      string // "local" or "sodar"
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const roleCols = `r.id, r.uuid, r.project_id, p.uuid, r.user_id, u.username, r.role, r.source, r.created_at, r.updated_at`
const roleFrom = ` FROM role_assignments r JOIN projects p ON p.id = r.project_id JOIN users u ON u.id = r.user_id`

func scanRole(row rowScanner) (*RoleAssignment, error) {
	r := &RoleAssignment{}
	err := row.Scan(&r.ID, &r.UUID, &r.ProjectID, &r.ProjectUUID, &r.UserID, &r.Username, &r.Role, &r.Source,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

func listRoles(ctx context.Context, q queryer, where string, args ...any) ([]*RoleAssignment, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roleCols+roleFrom+` WHERE `+where+` ORDER BY p.id, u.username`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*RoleAssignment
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRole creates or changes the role of a user in a project (one assignment per user and project).
func (s *Store) UpdateRole(ctx context.Context, r *RoleAssignment) error {
	defer s.bumpACL()
	return upsertRole(ctx, s.db, r)
}

func upsertRole(ctx context.Context, q queryer, r *RoleAssignment) error {
	if r.UUID == "" {
		r.UUID = uuid.NewString()
	}
	now := storedNow()
	r.UpdatedAt = now
	return q.QueryRowContext(ctx, `INSERT INTO role_assignments (uuid, project_id, user_id, role, source, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role, source = excluded.source,
		updated_at = excluded.updated_at RETURNING id, uuid, created_at`,
		r.UUID, r.ProjectID, r.UserID, r.Role, r.Source, ts(now), ts(now)).Scan(&r.ID, &r.UUID, timeCol{&r.CreatedAt})
}

// GetRole returns a user's own (not inherited) assignment in a project.
func (s *Store) GetRole(ctx context.Context, projectID, userID int64) (*RoleAssignment, error) {
	return scanRole(s.db.QueryRowContext(ctx, `SELECT `+roleCols+roleFrom+` WHERE r.project_id = ? AND r.user_id = ?`, projectID, userID))
}

// ListProjectRoles returns the assignments made directly on a project.
func (s *Store) ListProjectRoles(ctx context.Context, projectID int64) ([]*RoleAssignment, error) {
	return listRoles(ctx, s.db, `r.project_id = ?`, projectID)
}

// ListUserRoles returns every assignment of a user.
func (s *Store) ListUserRoles(ctx context.Context, userID int64) ([]*RoleAssignment, error) {
	return listRoles(ctx, s.db, `r.user_id = ?`, userID)
}

// ListAllRoles returns every assignment (for admin views and live-update fan-out).
func (s *Store) ListAllRoles(ctx context.Context) ([]*RoleAssignment, error) {
	return listRoles(ctx, s.db, `1=1`)
}

// DeleteRole removes a user's assignment in a project.
func (s *Store) DeleteRole(ctx context.Context, projectID, userID int64) error {
	defer s.bumpACL()
	res, err := s.db.ExecContext(ctx, `DELETE FROM role_assignments WHERE project_id = ? AND user_id = ?`, projectID, userID)
	return affectedOne(res, err)
}

// AssignRole creates or changes a user's role in a project like UpdateRole, keeping one owner per project: giving
// the owner role demotes a previous owner of the same project to delegate, in the same transaction. It returns the
// demoted assignment, if any.
func (s *Store) AssignRole(ctx context.Context, r *RoleAssignment) (*RoleAssignment, error) {
	defer s.bumpACL()
	var demoted *RoleAssignment
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		demoted = nil
		if r.Role == "owner" {
			prev, err := listRoles(ctx, tx, `r.project_id = ? AND r.role = 'owner' AND r.user_id != ?`, r.ProjectID, r.UserID)
			if err != nil {
				return err
			}
			for _, p := range prev {
				p.Role = "delegate"
				if err := upsertRole(ctx, tx, p); err != nil {
					return err
				}
				demoted = p
			}
		}
		return upsertRole(ctx, tx, r)
	})
	return demoted, err
}
