package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/settings"
)

// Template is a reusable container configuration: a site template (ProjectID nil) or a project template. It holds
// no secrets and no registry credentials.
type Template struct {
	ID               int64
	UUID             string
	ProjectID        *int64 // nil: site template
	ProjectUUID      string // empty for site templates
	SiteTemplateID   *int64 // the site template a project template was copied from, nil when none
	SiteTemplateUUID string
	settings.Container
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsSite reports whether t is a site template.
func (t *Template) IsSite() bool { return t.ProjectID == nil }

const templateCols = `t.id, t.uuid, t.project_id, coalesce(p.uuid, ''), t.site_template_id, coalesce(st.uuid, ''), t.title,
	t.description, t.image, t.command, t.environment, t.container_port, t.container_path, t.heartbeat_url, t.strip_prefix,
	t.startup_timeout, t.max_idle, t.max_lifetime, t.memory_limit, t.cpu_limit, t.pids_limit, t.max_retries, t.pull_policy,
	t.created_by, t.created_at, t.updated_at, t.volumes, t.run_user, t.read_only_rootfs, t.access, t.placement`
const templateFrom = ` FROM templates t LEFT JOIN projects p ON p.id = t.project_id
	LEFT JOIN templates st ON st.id = t.site_template_id`

func scanTemplate(row rowScanner) (*Template, error) {
	t := &Template{}
	var project, site sql.NullInt64
	var env, vols string
	err := row.Scan(&t.ID, &t.UUID, &project, &t.ProjectUUID, &site, &t.SiteTemplateUUID, &t.Title, &t.Description, &t.Image,
		&t.Command, &env, &t.ContainerPort, &t.ContainerPath, &t.HeartbeatURL, &t.StripPrefix, &t.StartupTimeout, &t.MaxIdle,
		&t.MaxLifetime, &t.MemoryLimit, &t.CPULimit, &t.PidsLimit, &t.MaxRetries, &t.PullPolicy, &t.CreatedBy,
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, &vols, &t.User, &t.ReadOnlyRootfs, &t.Access, &t.Placement)
	if err != nil {
		return nil, notFound(err)
	}
	if project.Valid {
		t.ProjectID = &project.Int64
	}
	if site.Valid {
		t.SiteTemplateID = &site.Int64
	}
	if err := json.Unmarshal([]byte(env), &t.Environment); err != nil {
		return nil, fmt.Errorf("template %s environment: %w", t.UUID, err)
	}
	if t.Environment == nil {
		t.Environment = map[string]string{}
	}
	if t.Volumes, err = scanVolumes(vols); err != nil {
		return nil, fmt.Errorf("template %s volumes: %w", t.UUID, err)
	}
	return t, nil
}

func nullID(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// CreateTemplate inserts t (generating a UUID if empty). A title already used in the same scope gives ErrConflict.
func (s *Store) CreateTemplate(ctx context.Context, t *Template) error {
	if t.UUID == "" {
		t.UUID = uuid.NewString()
	}
	if t.PullPolicy == "" {
		t.PullPolicy = settings.PullIfMissing
	}
	if t.Environment == nil {
		t.Environment = map[string]string{}
	}
	now := storedNow()
	t.CreatedAt, t.UpdatedAt = now, now
	res, err := s.db.ExecContext(ctx, `INSERT INTO templates (uuid, project_id, site_template_id, title, description, image,
		command, environment, container_port, container_path, heartbeat_url, strip_prefix, startup_timeout, max_idle,
		max_lifetime, memory_limit, cpu_limit, pids_limit, max_retries, pull_policy, created_by, created_at, updated_at, volumes,
		run_user, read_only_rootfs, access, placement) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		t.UUID, nullID(t.ProjectID), nullID(t.SiteTemplateID), t.Title, t.Description, t.Image, t.Command, jsonText(t.Environment),
		t.ContainerPort, t.ContainerPath, t.HeartbeatURL, t.StripPrefix, t.StartupTimeout, t.MaxIdle, t.MaxLifetime, t.MemoryLimit,
		t.CPULimit, t.PidsLimit, t.MaxRetries, t.PullPolicy, t.CreatedBy, ts(now), ts(now), jsonText(t.Volumes), t.User, t.ReadOnlyRootfs,
		orAccess(t.Access), t.Placement)
	if isUnique(err) {
		return fmt.Errorf("template %q: %w", t.Title, ErrConflict)
	}
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// GetTemplate returns a template by UUID.
func (s *Store) GetTemplate(ctx context.Context, uuid string) (*Template, error) {
	return scanTemplate(s.db.QueryRowContext(ctx, `SELECT `+templateCols+templateFrom+` WHERE t.uuid = ?`, uuid))
}

// TemplateFilter narrows ListTemplates to one scope.
type TemplateFilter struct {
	ProjectUUID string // empty: the site templates
	Page        Page   // zero Limit: no paging
}

// ListTemplates returns the templates of one scope ordered by title, and their total.
func (s *Store) ListTemplates(ctx context.Context, f TemplateFilter) ([]*Template, int, error) {
	where, args := "t.project_id IS NULL", []any{}
	if f.ProjectUUID != "" {
		where, args = "p.uuid = ?", []any{f.ProjectUUID}
	}
	return listPage(ctx, s.db, listQuery{cols: templateCols, from: templateFrom, where: where, order: "t.title, t.id",
		args: args, unpaged: true}, f.Page, scanTemplate)
}

// UpdateTemplate writes the configuration fields and the link to the site template (scope and UUID stay).
func (s *Store) UpdateTemplate(ctx context.Context, t *Template) error {
	t.UpdatedAt = storedNow()
	res, err := s.db.ExecContext(ctx, `UPDATE templates SET site_template_id=?, title=?, description=?, image=?, command=?,
		environment=?, container_port=?, container_path=?, heartbeat_url=?, strip_prefix=?, startup_timeout=?, max_idle=?,
		max_lifetime=?, memory_limit=?, cpu_limit=?, pids_limit=?, max_retries=?, pull_policy=?, updated_at=?, volumes=?, run_user=?,
		read_only_rootfs=?, access=?, placement=? WHERE id=?`,
		nullID(t.SiteTemplateID), t.Title, t.Description, t.Image, t.Command, jsonText(t.Environment), t.ContainerPort,
		t.ContainerPath, t.HeartbeatURL, t.StripPrefix, t.StartupTimeout, t.MaxIdle, t.MaxLifetime, t.MemoryLimit, t.CPULimit,
		t.PidsLimit, t.MaxRetries, t.PullPolicy, ts(t.UpdatedAt), jsonText(t.Volumes), t.User, t.ReadOnlyRootfs, orAccess(t.Access), t.Placement, t.ID)
	if isUnique(err) {
		return fmt.Errorf("template %q: %w", t.Title, ErrConflict)
	}
	return affectedOne(res, err)
}

// DeleteTemplate removes a template. Its copies stay, unlinked from it (the foreign key sets their link to NULL),
// and containers created from it no longer name it; both in one transaction.
func (s *Store) DeleteTemplate(ctx context.Context, uuid string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM templates WHERE uuid=?`, uuid)
		if err := affectedOne(res, err); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE containers SET template=NULL WHERE template=?`, uuid)
		return err
	})
}
