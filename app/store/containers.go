package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/settings"
)

// State is a container's state in kiosc (spec section 5.2): the observed state of a record, and the desired state
// (running or stopped) that users ask for. The API, the proxy and the command-line client use the same names.
type State string

// Container states.
const (
	StateInitial  State = "initial"
	StatePulling  State = "pulling"
	StateCreating State = "creating"
	StateStarting State = "starting"
	StateRunning  State = "running"
	StateStopping State = "stopping"
	StateStopped  State = "stopped"
	StateExited   State = "exited"
	StateFailed   State = "failed"
	StatePaused   State = "paused"
	StateDeleting State = "deleting"
	StateDeleted  State = "deleted"
	StateNotFound State = "not_found"
	StateUnknown  State = "unknown"
)

// States lists every container state.
var States = []State{StateInitial, StatePulling, StateCreating, StateStarting, StateRunning, StateStopping,
	StateStopped, StateExited, StateFailed, StatePaused, StateDeleting, StateDeleted, StateNotFound, StateUnknown}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Container is a container record: its settings (what users edit), desired state (what they asked for) and observed
// state (what Docker said last). Secret values are kept only in encrypted form.
type Container struct {
	ID          int64
	UUID        string
	ProjectID   int64
	ProjectUUID string
	// ProjectTitle is the title of the project (read with the record, never written through it).
	ProjectTitle string
	settings.Container
	SecretEnvEnc    string   // encrypted JSON object; empty when none
	SecretEnvKeys   []string // sorted names of the secret variables (not secret themselves)
	RegistryAuthEnc string   // encrypted JSON; empty when none
	Template        string
	// DeleteVolumes is set while the container is being deleted with its own volumes (otherwise they are kept).
	DeleteVolumes bool
	// ImagePorts are the TCP ports the image of the last Docker container created for it exposes (EXPOSE).
	ImagePorts []int

	ContainerState
	UpdateCheck
	RestartPending bool
	LastAccessAt   *time.Time
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ContainerState is the part of a record kiosc's reconciler writes.
type ContainerState struct {
	State        State
	StateReason  string
	StateMessage string
	// StateDetail is the Docker engine's own text of a failure, which StateMessage describes in words.
	StateDetail  string
	DesiredState State
	DockerID     string
	DockerState  string
	NetworkMode  string
	ExitCode     *int
	OOMKilled    bool
	HostPort     *int
	Upstream     string
	ReadyAt      *time.Time
	StartedAt    *time.Time
	StoppedAt    *time.Time
	Retries      int
	// ImageID and ImageDigest are the image the Docker container was created from, written at each create: its ID
	// and its repository digest (repo@sha256:...), or its ID again for an image without one (see ImageOf).
	ImageID     string
	ImageDigest string
}

const containerCols = `c.id, c.uuid, c.project_id, p.uuid, c.title, c.description, c.image, c.command, c.environment,
	coalesce(c.secret_environment, ''), coalesce(c.registry_auth, ''), c.container_port, c.container_path, c.heartbeat_url,
	c.strip_prefix, c.startup_timeout, c.max_idle, c.max_lifetime, c.memory_limit, c.cpu_limit, c.pids_limit, c.max_retries,
	c.pull_policy, coalesce(c.template, ''), c.state, c.state_reason, c.state_message, c.state_detail, c.desired_state, c.docker_id,
	c.docker_state, c.network_mode, c.exit_code, c.oom_killed, c.host_port, c.upstream, c.ready_at, c.started_at, c.stopped_at,
	c.last_access_at, c.restart_pending, c.retries, c.created_by, c.created_at, c.updated_at, c.secret_keys, c.volumes,
	c.run_user, c.read_only_rootfs, c.volumes_on_delete = 'delete',
	c.image_id, c.image_digest, c.update_status, c.update_available, c.available_digest, c.update_message, c.update_checked_at,
	c.access, coalesce(p.title, ''), c.image_ports, c.placement`
const containerFrom = ` FROM containers c JOIN projects p ON p.id = c.project_id`

func scanContainer(row rowScanner) (*Container, error) {
	c := &Container{}
	var env, keys, vols, imagePorts string
	var exit, port sql.NullInt64
	err := row.Scan(&c.ID, &c.UUID, &c.ProjectID, &c.ProjectUUID, &c.Title, &c.Description, &c.Image, &c.Command, &env,
		&c.SecretEnvEnc, &c.RegistryAuthEnc, &c.ContainerPort, &c.ContainerPath, &c.HeartbeatURL, &c.StripPrefix,
		&c.StartupTimeout, &c.MaxIdle, &c.MaxLifetime, &c.MemoryLimit, &c.CPULimit, &c.PidsLimit, &c.MaxRetries, &c.PullPolicy,
		&c.Template, &c.State, &c.StateReason, &c.StateMessage, &c.StateDetail, &c.DesiredState, &c.DockerID, &c.DockerState, &c.NetworkMode,
		&exit, &c.OOMKilled, &port, &c.Upstream, nullTimeCol{&c.ReadyAt}, nullTimeCol{&c.StartedAt}, nullTimeCol{&c.StoppedAt},
		nullTimeCol{&c.LastAccessAt}, &c.RestartPending, &c.Retries, &c.CreatedBy, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &keys,
		&vols, &c.User, &c.ReadOnlyRootfs, &c.DeleteVolumes,
		&c.ImageID, &c.ImageDigest, &c.UpdateStatus, &c.UpdateAvailable, &c.AvailableDigest, &c.UpdateMessage, nullTimeCol{&c.UpdateCheckedAt},
		&c.Access, &c.ProjectTitle, &imagePorts, &c.Placement)
	if err != nil {
		return nil, notFound(err)
	}
	if c.ImagePorts, err = scanImagePorts(c.UUID, imagePorts); err != nil {
		return nil, err
	}
	if exit.Valid {
		v := int(exit.Int64)
		c.ExitCode = &v
	}
	if port.Valid {
		v := int(port.Int64)
		c.HostPort = &v
	}
	if err := json.Unmarshal([]byte(env), &c.Environment); err != nil {
		return nil, fmt.Errorf("container %s environment: %w", c.UUID, err)
	}
	if err := json.Unmarshal([]byte(keys), &c.SecretEnvKeys); err != nil {
		return nil, fmt.Errorf("container %s secret keys: %w", c.UUID, err)
	}
	if c.Volumes, err = scanVolumes(vols); err != nil {
		return nil, fmt.Errorf("container %s volumes: %w", c.UUID, err)
	}
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	if c.SecretEnvKeys == nil {
		c.SecretEnvKeys = []string{}
	}
	return c, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// CreateContainer inserts c (generating a UUID if empty). A title already used in the project gives ErrConflict.
func (s *Store) CreateContainer(ctx context.Context, c *Container) error {
	if c.UUID == "" {
		c.UUID = uuid.NewString()
	}
	if c.State == "" {
		c.State = StateInitial
	}
	if c.DesiredState == "" {
		c.DesiredState = StateStopped
	}
	if c.PullPolicy == "" {
		c.PullPolicy = settings.PullIfMissing
	}
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	if c.SecretEnvKeys == nil {
		c.SecretEnvKeys = []string{}
	}
	if c.Access == "" {
		c.Access = settings.AccessProject
	}
	now := storedNow()
	c.CreatedAt, c.UpdatedAt = now, now
	res, err := s.db.ExecContext(ctx, `INSERT INTO containers (uuid, project_id, title, description, image, command, environment,
		secret_environment, secret_keys, registry_auth, container_port, container_path, heartbeat_url, strip_prefix, startup_timeout,
		max_idle, max_lifetime, memory_limit, cpu_limit, pids_limit, max_retries, pull_policy, template, state, desired_state,
		created_by, created_at, updated_at, volumes, run_user, read_only_rootfs, access, placement)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.UUID, c.ProjectID, c.Title, c.Description, c.Image, c.Command, jsonText(c.Environment), nullStr(c.SecretEnvEnc),
		jsonText(c.SecretEnvKeys), nullStr(c.RegistryAuthEnc), c.ContainerPort, c.ContainerPath, c.HeartbeatURL, c.StripPrefix,
		c.StartupTimeout, c.MaxIdle, c.MaxLifetime, c.MemoryLimit, c.CPULimit, c.PidsLimit, c.MaxRetries, c.PullPolicy,
		nullStr(c.Template), c.State, c.DesiredState, c.CreatedBy, ts(now), ts(now), jsonText(c.Volumes), c.User, c.ReadOnlyRootfs, c.Access, c.Placement)
	if isUnique(err) {
		return fmt.Errorf("container %q: %w", c.Title, ErrConflict)
	}
	if err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}

// GetContainer returns a container by UUID.
func (s *Store) GetContainer(ctx context.Context, uuid string) (*Container, error) {
	return scanContainer(s.db.QueryRowContext(ctx, `SELECT `+containerCols+containerFrom+` WHERE c.uuid = ?`, uuid))
}

// ContainerFilter narrows ListContainers. ProjectUUIDs nil means every project; an empty slice means none.
type ContainerFilter struct {
	ProjectUUIDs []string
	State        State
	Page         Page // zero Limit: no paging
}

// ListContainers returns containers ordered by project and title, and the total matching the filter.
func (s *Store) ListContainers(ctx context.Context, f ContainerFilter) ([]*Container, int, error) {
	where, args := "1=1", []any{}
	if f.ProjectUUIDs != nil {
		where += " AND p.uuid IN (SELECT value FROM json_each(?))"
		args = append(args, jsonText(f.ProjectUUIDs))
	}
	if f.State != "" {
		where += " AND c.state = ?"
		args = append(args, f.State)
	}
	return listPage(ctx, s.db, listQuery{cols: containerCols, from: containerFrom, where: where, order: "p.title, c.title, c.id",
		args: args, unpaged: true}, f.Page, scanContainer)
}

// UpdateContainerConfig writes the user-editable fields and restart_pending.
func (s *Store) UpdateContainerConfig(ctx context.Context, c *Container) error {
	c.UpdatedAt = storedNow()
	_, err := s.db.ExecContext(ctx, `UPDATE containers SET title=?, description=?, image=?, command=?, environment=?,
		secret_environment=?, secret_keys=?, registry_auth=?, container_port=?, container_path=?, heartbeat_url=?, strip_prefix=?,
		startup_timeout=?, max_idle=?, max_lifetime=?, memory_limit=?, cpu_limit=?, pids_limit=?, max_retries=?, pull_policy=?,
		template=?, restart_pending=?, updated_at=?, volumes=?, run_user=?, read_only_rootfs=?, access=?, placement=? WHERE id=?`,
		c.Title, c.Description, c.Image, c.Command, jsonText(c.Environment), nullStr(c.SecretEnvEnc), jsonText(c.SecretEnvKeys),
		nullStr(c.RegistryAuthEnc), c.ContainerPort, c.ContainerPath, c.HeartbeatURL, c.StripPrefix, c.StartupTimeout, c.MaxIdle,
		c.MaxLifetime, c.MemoryLimit, c.CPULimit, c.PidsLimit, c.MaxRetries, c.PullPolicy, nullStr(c.Template), c.RestartPending,
		ts(c.UpdatedAt), jsonText(c.Volumes), c.User, c.ReadOnlyRootfs, orAccess(c.Access), c.Placement, c.ID)
	if isUnique(err) {
		return fmt.Errorf("container %q: %w", c.Title, ErrConflict)
	}
	return err
}

// UpdateContainerState writes the observed state. The desired state is written only if it still holds
// desiredWas (what the writer read), so a user's newer request is never overwritten; a container marked deleting
// stays deleting. clearRestartPending resets restart_pending (after the Docker container was recreated with the
// current configuration). It returns the stored desired state, state, restart_pending and update check (which
// update checks write meanwhile).
func (s *Store) UpdateContainerState(ctx context.Context, uuid string, st ContainerState, desiredWas State, clearRestartPending bool) (Container, error) {
	now := storedNow()
	rp := "restart_pending"
	if clearRestartPending {
		rp = "0"
	}
	var out Container
	err := s.db.QueryRowContext(ctx, `UPDATE containers SET
		state = CASE WHEN state = 'deleting' THEN state ELSE ? END, state_reason=?, state_message=?, state_detail=?,
		desired_state = CASE WHEN desired_state = ? THEN ? ELSE desired_state END,
		docker_id=?, docker_state=?, network_mode=?, exit_code=?, oom_killed=?, host_port=?, upstream=?, ready_at=?, started_at=?,
		stopped_at=?, retries=?, image_id=?, image_digest=?, restart_pending=`+rp+`, updated_at=? WHERE uuid=?
		RETURNING desired_state, state, restart_pending, updated_at, update_status, update_available, available_digest,
		update_message, update_checked_at`,
		st.State, st.StateReason, st.StateMessage, st.StateDetail, desiredWas, st.DesiredState, st.DockerID, st.DockerState, st.NetworkMode,
		nullInt(st.ExitCode), st.OOMKilled, nullInt(st.HostPort), st.Upstream, nts(st.ReadyAt), nts(st.StartedAt), nts(st.StoppedAt),
		st.Retries, st.ImageID, st.ImageDigest, ts(now), uuid).Scan(&out.DesiredState, &out.State, &out.RestartPending, timeCol{&out.UpdatedAt},
		&out.UpdateStatus, &out.UpdateAvailable, &out.AvailableDigest, &out.UpdateMessage, nullTimeCol{&out.UpdateCheckedAt})
	return out, notFound(err)
}

// MarkContainerDeleting sets state deleting and desired stopped (the reconciler then removes everything), keeping
// the container's own volumes.
func (s *Store) MarkContainerDeleting(ctx context.Context, uuid string) error {
	return s.MarkContainerDeletingVolumes(ctx, uuid, false)
}

// MarkContainerDeletingVolumes is MarkContainerDeleting that also records whether the deletion removes the
// container's own volumes (deleteVolumes) or keeps them for the retention time.
func (s *Store) MarkContainerDeletingVolumes(ctx context.Context, uuid string, deleteVolumes bool) error {
	choice := "keep"
	if deleteVolumes {
		choice = "delete"
	}
	res, err := s.db.ExecContext(ctx, `UPDATE containers SET state='deleting', state_message='', state_detail='', desired_state='stopped',
		volumes_on_delete=?, updated_at=? WHERE uuid=?`, choice, ts(time.Now()), uuid)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UpdateContainerDesired records what a user asked for, before anything is done about it.
func (s *Store) UpdateContainerDesired(ctx context.Context, uuid string, desired State) error {
	res, err := s.db.ExecContext(ctx, `UPDATE containers SET desired_state=?, updated_at=? WHERE uuid=?`, desired, ts(time.Now()), uuid)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UpdateContainerAccess stores last-access times in one transaction.
func (s *Store) UpdateContainerAccess(ctx context.Context, times map[string]time.Time) error {
	if len(times) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		for id, t := range times {
			if _, err := tx.ExecContext(ctx, `UPDATE containers SET last_access_at=? WHERE uuid=?`, ts(t), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteContainer removes the record with its kiosc events and jobs; stored logs are removed too.
func (s *Store) DeleteContainer(ctx context.Context, uuid string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM containers WHERE uuid=?`, uuid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		for _, t := range []string{"container_events", "jobs", "container_logs", "container_links"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE container_uuid=?`, uuid); err != nil {
				return err
			}
		}
		return nil
	})
}

// orAccess is the stored access level: project when none is set.
func orAccess(a string) string {
	if a == "" {
		return settings.AccessProject
	}
	return a
}
