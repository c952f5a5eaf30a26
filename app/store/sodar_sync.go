package store

import (
	"context"
	"database/sql"

	"github.com/google/uuid"
)

// Helpers the SODAR sync needs beyond the per-table functions: sibling lookup by title and role writes that keep
// the source's assignment UUIDs and exactly one owner per project.

// GetProjectByTitle returns the project or category titled title directly under parentID (nil: top level).
func (s *Store) GetProjectByTitle(ctx context.Context, parentID *int64, title string) (*Project, error) {
	var parent int64
	if parentID != nil {
		parent = *parentID
	}
	return scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+projectFrom+` WHERE coalesce(p.parent_id, 0) = ? AND p.title = ?`,
		parent, title))
}

// SetRole creates or changes a user's assignment in a project. A new assignment takes r.UUID when it is free (the
// source's UUID), otherwise a fresh one; an existing assignment keeps its UUID. created reports a new assignment.
func (s *Store) SetRole(ctx context.Context, r *RoleAssignment) (created bool, err error) {
	defer s.bumpACL()
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		created, err = setRole(ctx, tx, r)
		return err
	})
	return created, err
}

func setRole(ctx context.Context, q queryer, r *RoleAssignment) (bool, error) {
	var existing int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM role_assignments WHERE project_id = ? AND user_id = ?`, r.ProjectID,
		r.UserID).Scan(&existing); err != nil {
		return false, err
	}
	if r.UUID != "" {
		var taken int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM role_assignments WHERE uuid = ? AND NOT (project_id = ? AND user_id = ?)`,
			r.UUID, r.ProjectID, r.UserID).Scan(&taken); err != nil {
			return false, err
		}
		if taken > 0 {
			r.UUID = uuid.NewString()
		}
	}
	return existing == 0, upsertRole(ctx, q, r)
}

// ReplaceProjectOwner makes r (role owner) the only owner of its project in one transaction: any other owner
// assignment is deleted and returned.
func (s *Store) ReplaceProjectOwner(ctx context.Context, r *RoleAssignment) (displaced []*RoleAssignment, created bool, err error) {
	defer s.bumpACL()
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		displaced, err = listRoles(ctx, tx, `r.project_id = ? AND r.role = 'owner' AND r.user_id != ?`, r.ProjectID, r.UserID)
		if err != nil {
			return err
		}
		for _, d := range displaced {
			if _, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE id = ?`, d.ID); err != nil {
				return err
			}
		}
		created, err = setRole(ctx, tx, r)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return displaced, created, nil
}
