package lifecycle

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// VolumeDocker is what volumes need from the engine besides Docker (implemented by *docker.Client).
type VolumeDocker interface {
	EnsureVolume(ctx context.Context, s docker.VolumeSpec) (bool, error)
	RemoveVolume(ctx context.Context, name string) error
	VolumeSizes(ctx context.Context) (map[string]int64, error)
	StatPath(ctx context.Context, id, path string) (docker.PathStat, error)
	CopyFrom(ctx context.Context, id, path string) (io.ReadCloser, error)
	CopyTo(ctx context.Context, id, dir string, content io.Reader) error
	EnsureEmptyImage(ctx context.Context, ref string, labels map[string]string) error
}

// Labels of volumes and helper containers.
const (
	// LabelVolume is kiosc's name of a volume (as in the container's settings).
	LabelVolume = "kiosc.volume"
	// LabelVolumeScope is the scope of a volume: container or project.
	LabelVolumeScope = "kiosc.volume-scope"
	// LabelHelper marks the containers kiosc creates, and never starts, to reach the files of volumes (its value is
	// what for: HelperOwner or HelperFiles), and the empty image they are created from (HelperImageLabel).
	LabelHelper = "kiosc.helper"
)

// Helper purposes and their image.
const (
	HelperOwner      = "volume-owner"
	HelperFiles      = "volume-files"
	HelperImageLabel = "image"
	// HelperImage is an image with an empty file system, imported by kiosc. Helper containers of it are never
	// started: they hold nothing but the mount points of the volumes they are created with, for the engine's archive
	// endpoints. Symbolic links in a volume therefore lead into that empty file system, never into an app or the host.
	HelperImage = "kiosc-volume-helper:1"
)

// ErrVolumeNotCreated is returned for a volume a container is configured with but that does not exist yet (it is
// created at the container's next start).
var ErrVolumeNotCreated = errors.New("the volume has not been created yet")

// ErrVolumeInUse is returned when a project volume is to be removed while containers are configured with it.
type ErrVolumeInUse struct{ Containers []ContainerRef }

func (e *ErrVolumeInUse) Error() string {
	s := "the volume is used by "
	for i, c := range e.Containers {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", c.Title)
	}
	return s + "; remove it from their settings first"
}

// volumeDocker returns the engine's volume calls, or an error when the configured client has none.
func (m *Manager) volumeDocker() (VolumeDocker, error) {
	vd, ok := m.dk.(VolumeDocker)
	if !ok {
		return nil, errors.New("the Docker client cannot manage volumes")
	}
	return vd, nil
}

// volumeLabels returns the labels of the Docker volume of rec.
func (m *Manager) volumeLabels(rec *store.Volume) map[string]string {
	l := map[string]string{LabelManaged: "true", LabelInstance: m.o.InstanceID, LabelProject: rec.ProjectUUID,
		LabelVolume: rec.Name, LabelVolumeScope: rec.Scope}
	if rec.Scope == settings.ScopeContainer {
		l[LabelContainer] = rec.ContainerUUID
	}
	return l
}

// volumeUse is a volume of a container that is being started.
type volumeUse struct {
	settings.Volume
	rec     *store.Volume
	created bool // kiosc created its Docker volume for this start
}

// ensureVolumes records and creates the Docker volumes of c that do not exist yet, and notes that c uses them.
func (m *Manager) ensureVolumes(ctx context.Context, c *store.Container, user string) ([]volumeUse, error) {
	if len(c.Volumes) == 0 {
		return nil, nil
	}
	vd, err := m.volumeDocker()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	uses := make([]volumeUse, 0, len(c.Volumes))
	for _, v := range c.Volumes {
		rec := &store.Volume{Scope: v.Scope, ProjectID: c.ProjectID, Name: v.Name, CreatedBy: orDefault(user, store.SystemUser),
			DockerName: VolumeName(m.o.InstanceID, c.ProjectUUID, c.UUID, v)}
		if v.Scope == settings.ScopeContainer {
			rec.ContainerUUID, rec.ContainerTitle = c.UUID, c.Title
		}
		rec, _, err := m.st.EnsureVolume(ctx, rec)
		if err != nil {
			return nil, err
		}
		created, err := vd.EnsureVolume(ctx, docker.VolumeSpec{Name: rec.DockerName, Labels: m.volumeLabels(rec)})
		if err != nil {
			return nil, createFailure("the volume "+v.Name, err)
		}
		if created {
			m.event(ctx, c.UUID, store.LevelInfo, "", "created volume %s (%s scope, Docker volume %s)", v.Name, v.Scope, rec.DockerName)
			m.volumeTimeline(ctx, rec, user, "volume_create", store.StatusOK, fmt.Sprintf("created %s for %s", describeVolume(rec), c.Title), nil)
		}
		if err := m.st.TouchVolume(ctx, rec.ID, now, c.Title); err != nil {
			return nil, err
		}
		uses = append(uses, volumeUse{Volume: v, rec: rec, created: created})
	}
	return uses, nil
}

// describeVolume names a volume in timeline descriptions.
func describeVolume(rec *store.Volume) string {
	if rec.Scope == settings.ScopeProject {
		return "project volume " + rec.Name
	}
	s := "volume " + rec.Name
	if rec.ContainerTitle != "" {
		s += " of " + rec.ContainerTitle
	}
	return s
}

// volumeTimeline records a timeline event about a volume in its project.
func (m *Manager) volumeTimeline(ctx context.Context, rec *store.Volume, user, name, status, desc string, extra map[string]any) {
	if m.tl == nil {
		return
	}
	if user == "" {
		user = store.SystemUser
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["name"], extra["scope"], extra["docker_name"] = rec.Name, rec.Scope, rec.DockerName
	if rec.Scope == settings.ScopeContainer {
		extra["container"], extra["container_title"] = rec.ContainerUUID, rec.ContainerTitle
	}
	m.tl.Record(context.WithoutCancel(ctx), &store.TimelineEvent{ProjectUUID: rec.ProjectUUID, Username: user, EventName: name,
		Description: desc, Status: status, ObjectType: "volume", ObjectUUID: rec.DockerName, ExtraData: extra})
}

// setVolumeOwners gives the root directory of the volumes c mounts writable to the user the container runs as, so
// that a container running as another user than root can write its volumes. It runs after the Docker container id
// was created (so Docker has already copied the image's files at the mount point into a new, empty volume) and
// before it starts. The user is the container's (or the site's default), else the image's; a name is resolved
// from the image's /etc/passwd and /etc/group, read from the created container. A container-scope volume is given
// to the user whenever the user changed since; a project-scope volume only if kiosc never gave it to anyone. The
// root directory only: files inside keep their owners.
//
// How: a helper container of the empty helper image is created (never started) with the volumes mounted at
// /volumes/<name>, and the engine's archive endpoint extracts into /volumes a tar holding one directory entry
// "<name>/" with the owner, the directory's current mode and the time: the engine applies the entry's owner to
// the volume's root. No shell runs, so images FROM scratch work too.
func (m *Manager) setVolumeOwners(ctx context.Context, c *store.Container, id string, spec docker.ContainerSpec, uses []volumeUse) error {
	var writable []volumeUse
	for _, u := range uses {
		if !u.ReadOnly {
			writable = append(writable, u)
		}
	}
	if len(writable) == 0 {
		return nil
	}
	vd, err := m.volumeDocker()
	if err != nil {
		return err
	}
	user := spec.User
	if user == "" {
		info, err := m.dk.Inspect(ctx, id)
		if err != nil {
			return createFailure("the container", err)
		}
		user = info.User
	}
	if user == "" || user == "root" || user == "0" || user == "0:0" {
		return nil // root writes anywhere; the volume keeps the owner Docker gave it
	}
	var passwd, group []byte
	if needsPasswd(user) {
		if passwd, err = readImageFile(ctx, vd, id, "/etc/passwd"); err != nil {
			return createFailure("the container (reading its /etc/passwd)", err)
		}
	}
	if needsGroup(user) {
		if group, err = readImageFile(ctx, vd, id, "/etc/group"); err != nil {
			return createFailure("the container (reading its /etc/group)", err)
		}
	}
	owner, err := resolveUser(user, passwd, group)
	if err != nil {
		return err
	}
	if owner.UID == 0 {
		return nil
	}
	var todo []volumeUse
	for _, u := range writable {
		if (u.Scope == settings.ScopeContainer && u.rec.Owner != owner.String()) || (u.Scope == settings.ScopeProject && u.rec.Owner == "") {
			todo = append(todo, u)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	mounts := make([]docker.Mount, 0, len(todo))
	for _, u := range todo {
		mounts = append(mounts, docker.Mount{Volume: u.rec.DockerName, Target: "/volumes/" + u.Name, NoCopy: true})
	}
	hid, done, err := m.helper(ctx, c.ProjectUUID, HelperOwner, mounts)
	if err != nil {
		return err
	}
	defer done()
	now := time.Now()
	for _, u := range todo {
		st, err := vd.StatPath(ctx, hid, "/volumes/"+u.Name)
		if err != nil {
			return createFailure("the volume "+u.Name+" (reading its root)", err)
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		_ = tw.WriteHeader(&tar.Header{Name: u.Name + "/", Typeflag: tar.TypeDir, Mode: st.Perm, Uid: owner.UID, Gid: owner.GID,
			ModTime: now})
		_ = tw.Close()
		if err := vd.CopyTo(ctx, hid, "/volumes", &buf); err != nil {
			return createFailure("the volume "+u.Name+" (giving it to user "+owner.String()+")", err)
		}
		if err := m.st.UpdateVolumeOwner(ctx, u.rec.ID, owner.String()); err != nil {
			return err
		}
		u.rec.Owner = owner.String()
		m.event(ctx, c.UUID, store.LevelInfo, "", "gave the root of volume %s to user %s (%s)", u.Name, owner, user)
	}
	return nil
}

// readImageFile returns the content of a file of a container's file system (at most 4 MiB), nil when it does not
// exist.
func readImageFile(ctx context.Context, vd VolumeDocker, id, file string) ([]byte, error) {
	rc, err := vd.CopyFrom(ctx, id, file)
	if docker.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	h, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if h.Typeflag != tar.TypeReg {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(tr, 4<<20))
}

// helper creates a container of the empty helper image, never started, with mounts, and returns its ID and a
// function that removes it. Helpers are labelled for the instance and the project; the resync removes helpers this
// process does not use (left behind by a restart).
func (m *Manager) helper(ctx context.Context, project, purpose string, mounts []docker.Mount) (string, func(), error) {
	vd, err := m.volumeDocker()
	if err != nil {
		return "", nil, err
	}
	m.helperImageMu.Lock()
	err = vd.EnsureEmptyImage(ctx, HelperImage, map[string]string{LabelManaged: "true", LabelHelper: HelperImageLabel})
	m.helperImageMu.Unlock()
	if err != nil {
		return "", nil, createFailure("kiosc's helper image "+HelperImage, err)
	}
	name := "kiosc-" + purpose + "-" + uuid.NewString()[:12]
	m.helpers.Store(name, true)
	id, err := m.dk.Create(ctx, docker.ContainerSpec{Name: name, Image: HelperImage, Cmd: []string{"/none"}, Network: "none",
		Labels: map[string]string{LabelManaged: "true", LabelInstance: m.o.InstanceID, LabelProject: project, LabelHelper: purpose},
		Mounts: mounts, CapDrop: []string{"ALL"}, Local: true})
	if err != nil {
		m.helpers.Delete(name)
		return "", nil, createFailure("a helper container for the volume", err)
	}
	return id, func() {
		if err := m.dk.Remove(context.WithoutCancel(ctx), id); err != nil {
			m.log.Warn("remove volume helper", "name", name, "err", err)
		}
		m.helpers.Delete(name)
	}, nil
}

// removeStaleHelpers removes helper containers of this instance that no operation of this process uses.
func (m *Manager) removeStaleHelpers(ctx context.Context, list []docker.Summary) {
	for _, s := range list {
		if s.Labels[LabelHelper] == "" {
			continue
		}
		if _, busy := m.helpers.Load(s.Name); busy {
			continue
		}
		if err := m.dk.Remove(ctx, s.ID); err != nil {
			m.log.Warn("remove stale volume helper", "name", s.Name, "err", err)
		}
	}
}

// disposeVolumes deals with the container-scope volumes of a container whose Docker container was removed and
// whose record goes next: removed when the deletion asked for it, else kept for KIOSC_REMOVE_VOLUMES_AFTER. Either
// way each volume gets a timeline event; a removal Docker refuses is retried by the remove-volumes task.
func (m *Manager) disposeVolumes(ctx context.Context, c *store.Container, user string) error {
	recs, err := m.st.ListVolumes(ctx, store.VolumeFilter{ContainerUUID: c.UUID, Scope: settings.ScopeContainer})
	if err != nil || len(recs) == 0 {
		return err
	}
	now := time.Now().UTC()
	if c.DeleteVolumes {
		for _, rec := range recs {
			if err := m.removeVolume(ctx, rec, user, "volume_delete", "removed "+describeVolume(rec)+" with its container"); err != nil {
				m.log.Warn("remove volume with its container", "volume", rec.DockerName, "err", err)
				if err := m.st.MarkVolumeRemoval(ctx, rec.ID, now); err != nil {
					return err
				}
				m.volumeTimeline(ctx, rec, user, "volume_delete", store.StatusFailed, "could not remove "+describeVolume(rec)+
					" with its container; the remove-volumes task retries: "+err.Error(), map[string]any{"error": err.Error()})
			}
		}
		return nil
	}
	kept, err := m.st.KeepContainerVolumes(ctx, c.UUID, now)
	if err != nil {
		return err
	}
	for _, rec := range kept {
		desc, extra := "kept "+describeVolume(rec)+" after its container was deleted", map[string]any{}
		if ra := m.removeAfter(rec); ra != nil {
			desc += "; removed after " + ra.Format("2006-01-02 15:04 MST")
			extra["remove_after"] = ra
		} else {
			desc += "; kept until removed on request"
		}
		m.volumeTimeline(ctx, rec, user, "volume_keep", store.StatusInfo, desc, extra)
	}
	return nil
}

// removeAfter is when the remove-volumes task removes rec: a removal asked for, or the end of the retention time of
// a kept volume (nil: not due, ever, with KIOSC_REMOVE_VOLUMES_AFTER=0 or while its container exists).
func (m *Manager) removeAfter(rec *store.Volume) *time.Time {
	if rec.RemoveAfter != nil {
		return rec.RemoveAfter
	}
	if rec.ContainerDeletedAt != nil && m.o.RemoveVolumesAfter > 0 {
		t := rec.ContainerDeletedAt.Add(m.o.RemoveVolumesAfter)
		return &t
	}
	return nil
}

// removeVolume removes the Docker volume of rec and the record, and records the timeline event. A volume that was
// gone already is no error.
func (m *Manager) removeVolume(ctx context.Context, rec *store.Volume, user, event, desc string) error {
	vd, err := m.volumeDocker()
	if err != nil {
		return err
	}
	extra := map[string]any{}
	if rec.Size != nil {
		extra["size"] = *rec.Size
	}
	switch err := vd.RemoveVolume(ctx, rec.DockerName); {
	case docker.IsNotFound(err):
		extra["already_gone"] = true
	case errors.Is(err, docker.ErrInUse):
		return fmt.Errorf("a Docker container still mounts %s", rec.DockerName)
	case err != nil:
		return err
	}
	if err := m.st.DeleteVolume(ctx, rec.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	m.volumeTimeline(ctx, rec, user, event, store.StatusOK, desc, extra)
	if rec.Scope == settings.ScopeContainer && rec.ContainerDeletedAt == nil {
		m.event(ctx, rec.ContainerUUID, store.LevelInfo, user, "removed volume %s", rec.Name)
	}
	return nil
}

// RemoveProjectVolume removes a project-scope volume on request (or, with container set, a kept volume of that
// deleted container): 404 when there is no such volume, ErrVolumeInUse naming the containers configured with it.
func (m *Manager) RemoveProjectVolume(ctx context.Context, user *store.User, projectUUID, name, container string) error {
	rec, err := m.ProjectVolume(ctx, projectUUID, name, container)
	if err != nil {
		return err
	}
	if rec.Scope == settings.ScopeContainer {
		if c, err := m.st.GetContainer(ctx, rec.ContainerUUID); err == nil {
			return &ErrVolumeInUse{Containers: []ContainerRef{{UUID: c.UUID, Title: c.Title, Project: c.ProjectUUID}}}
		}
		return m.removeVolume(ctx, rec, user.Username, "volume_delete", "removed "+describeVolume(rec)+" (kept after its container was deleted)")
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{ProjectUUIDs: []string{projectUUID}})
	if err != nil {
		return err
	}
	var users []ContainerRef
	for _, c := range records {
		if v, ok := c.Volumes.Find(name); ok && v.Scope == settings.ScopeProject {
			users = append(users, ContainerRef{UUID: c.UUID, Title: c.Title, Project: c.ProjectUUID})
		}
	}
	if len(users) > 0 {
		return &ErrVolumeInUse{Containers: users}
	}
	if err := m.removeVolume(ctx, rec, user.Username, "volume_delete", "removed "+describeVolume(rec)); err != nil {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return nil
}

// ProjectVolume returns the record of a project's volume by name, or with container set the container-scope volume
// of that container (a kept one, after the container was deleted). ErrNotFound when there is none.
func (m *Manager) ProjectVolume(ctx context.Context, projectUUID, name, container string) (*store.Volume, error) {
	f := store.VolumeFilter{ProjectUUID: projectUUID, Name: name, Scope: settings.ScopeProject}
	if container != "" {
		f.Scope, f.ContainerUUID = settings.ScopeContainer, container
	}
	recs, err := m.st.ListVolumes(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("volume %q: %w", name, store.ErrNotFound)
	}
	return recs[0], nil
}

// ContainerVolume returns the record of a volume of c by name: one it mounts, or one it mounted before its settings
// changed. ErrVolumeNotCreated when c is configured with it but it does not exist yet; ErrNotFound otherwise.
func (m *Manager) ContainerVolume(ctx context.Context, c *store.Container, name string) (*store.Volume, error) {
	if v, ok := c.Volumes.Find(name); ok {
		rec, err := m.st.GetVolumeByDockerName(ctx, VolumeName(m.o.InstanceID, c.ProjectUUID, c.UUID, v))
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s is created when the container starts", ErrVolumeNotCreated, name)
		}
		return rec, err
	}
	recs, err := m.st.ListVolumes(ctx, store.VolumeFilter{ContainerUUID: c.UUID, Scope: settings.ScopeContainer, Name: name})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("volume %q: %w", name, store.ErrNotFound)
	}
	return recs[0], nil
}

// volumePath joins a cleaned path inside a volume to where a helper mounts it.
func volumePath(root, p string) string { return path.Join(root, p) }
