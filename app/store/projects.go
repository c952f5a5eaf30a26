package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Project types.
const (
	TypeProject  = "PROJECT"
	TypeCategory = "CATEGORY"
)

// Project is a project or category. Roles on a category apply to everything below it.
type Project struct {
	ID          int64
	UUID        string
	Title       string
	Description string
	Type        string
	ParentID    *int64
	ParentUUID  string
	Source      string // "local" or "sodar"
	SodarLevel  string // remote access level for projects mirrored from SODAR
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const projectCols = `p.id, p.uuid, p.title, p.description, p.type, p.parent_id, coalesce(pp.uuid, ''), p.source,
	coalesce(p.sodar_level, ''), p.created_at, p.updated_at`
const projectFrom = ` FROM projects p LEFT JOIN projects pp ON pp.id = p.parent_id`

func scanProject(row rowScanner) (*Project, error) {
	p := &Project{}
	var parent sql.NullInt64
	err := row.Scan(&p.ID, &p.UUID, &p.Title, &p.Description, &p.Type, &parent, &p.ParentUUID, &p.Source, &p.SodarLevel,
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	if err != nil {
		return nil, notFound(err)
	}
	if parent.Valid {
		p.ParentID = &parent.Int64
	}
	return p, nil
}

// CreateProject inserts p (generating a UUID if empty). A sibling with the same title gives ErrConflict.
func (s *Store) CreateProject(ctx context.Context, p *Project) error {
	defer s.bumpACL()
	return createProject(ctx, s.db, p)
}

func createProject(ctx context.Context, q queryer, p *Project) error {
	if p.UUID == "" {
		p.UUID = uuid.NewString()
	}
	now := storedNow()
	p.CreatedAt, p.UpdatedAt = now, now
	res, err := q.ExecContext(ctx, `INSERT INTO projects (uuid, title, description, type, parent_id, source, sodar_level, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?)`, p.UUID, p.Title, p.Description, p.Type, p.ParentID, p.Source, nullStr(p.SodarLevel), ts(now), ts(now))
	if isUnique(err) {
		return fmt.Errorf("project %q: %w", p.Title, ErrConflict)
	}
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	return err
}

// GetProject returns a project by ID.
func (s *Store) GetProject(ctx context.Context, id int64) (*Project, error) {
	return scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+projectFrom+` WHERE p.id = ?`, id))
}

// GetProjectByUUID returns a project by UUID.
func (s *Store) GetProjectByUUID(ctx context.Context, id string) (*Project, error) {
	return scanProject(s.db.QueryRowContext(ctx, `SELECT `+projectCols+projectFrom+` WHERE p.uuid = ?`, id))
}

// ListProjects returns every project and category, parents before children is not guaranteed; ordered by title.
func (s *Store) ListProjects(ctx context.Context) ([]*Project, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+projectCols+projectFrom+` ORDER BY p.title, p.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateProject writes title, description, parent, source and SODAR level.
func (s *Store) UpdateProject(ctx context.Context, p *Project) error {
	defer s.bumpACL()
	return updateProject(ctx, s.db, p)
}

func updateProject(ctx context.Context, q queryer, p *Project) error {
	p.UpdatedAt = storedNow()
	res, err := q.ExecContext(ctx, `UPDATE projects SET title = ?, description = ?, parent_id = ?, source = ?, sodar_level = ?, updated_at = ?
		WHERE id = ?`, p.Title, p.Description, p.ParentID, p.Source, nullStr(p.SodarLevel), ts(p.UpdatedAt), p.ID)
	if isUnique(err) {
		return fmt.Errorf("project %q: %w", p.Title, ErrConflict)
	}
	return affectedOne(res, err)
}

// DeleteProject removes a project with its roles. A category that still has children gives ErrConflict.
func (s *Store) DeleteProject(ctx context.Context, id int64) error {
	defer s.bumpACL()
	res, err := s.db.ExecContext(ctx, `DELETE FROM projects WHERE id = ?`, id)
	if isFK(err) {
		return fmt.Errorf("project still has children: %w", ErrConflict)
	}
	return affectedOne(res, err)
}

func isFK(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}
