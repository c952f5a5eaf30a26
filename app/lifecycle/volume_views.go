package lifecycle

import (
	"context"
	"slices"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// VolumeUser is a container configured with a volume.
type VolumeUser struct {
	UUID      string      `json:"uuid"`
	Title     string      `json:"title"`
	MountPath string      `json:"mount_path"`
	ReadOnly  bool        `json:"read_only"`
	State     store.State `json:"state"`
}

// VolumeView is a volume as the API lists it, for a container (what it mounts, and what it mounted before its
// settings changed) or for a project (its shared volumes and the volumes kept after their container was deleted).
type VolumeView struct {
	Name       string `json:"name"`
	Scope      string `json:"scope"`
	DockerName string `json:"docker_name"`
	// Exists is false for a volume that is configured but not created yet (at the next start of a container).
	Exists bool `json:"exists"`
	// MountPath and ReadOnly say how the container mounts it (container listings; nil: no longer mounted).
	MountPath *string `json:"mount_path"`
	ReadOnly  bool    `json:"read_only"`
	// Owner is the uid:gid kiosc gave the volume's root ("" none: the owner Docker gave it).
	Owner      string     `json:"owner"`
	CreatedAt  *time.Time `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Size is the disk space the engine measured at SizeAt (nil: not measured yet).
	Size   *int64     `json:"size"`
	SizeAt *time.Time `json:"size_at"`
	// Users are the containers configured with it.
	Users []VolumeUser `json:"users"`
	// Container and ContainerTitle name the container a container-scope volume belongs to; ContainerDeletedAt is
	// set when that container was deleted and the volume kept.
	Container          *string    `json:"container"`
	ContainerTitle     string     `json:"container_title"`
	ContainerDeletedAt *time.Time `json:"container_deleted_at"`
	// RemoveAfter is when the remove-volumes task removes it (nil: never by itself).
	RemoveAfter *time.Time `json:"remove_after"`
}

// viewOf renders a volume record (nil: not created yet, with name and scope set by the caller).
func (m *Manager) viewOf(name, scope, dockerName string, rec *store.Volume) VolumeView {
	v := VolumeView{Name: name, Scope: scope, DockerName: dockerName, Users: []VolumeUser{}}
	if rec == nil {
		return v
	}
	created := rec.CreatedAt
	v.Exists, v.Owner, v.CreatedAt, v.CreatedBy, v.LastUsedAt = true, rec.Owner, &created, rec.CreatedBy, rec.LastUsedAt
	v.Size, v.SizeAt, v.ContainerDeletedAt, v.RemoveAfter = rec.Size, rec.SizeAt, rec.ContainerDeletedAt, m.removeAfter(rec)
	if rec.Scope == settings.ScopeContainer {
		v.Container, v.ContainerTitle = optStr(rec.ContainerUUID), rec.ContainerTitle
	}
	return v
}

// ContainerVolumes lists the volumes c mounts (in the order of its settings), then those of its own it no longer
// mounts. Sizes are the last measured; a measurement older than a few minutes starts a new one in the background.
func (m *Manager) ContainerVolumes(ctx context.Context, c *store.Container) ([]VolumeView, error) {
	recs, err := m.st.ListVolumes(ctx, store.VolumeFilter{ProjectUUID: c.ProjectUUID})
	if err != nil {
		return nil, err
	}
	byName := map[string]*store.Volume{}
	for _, r := range recs {
		byName[r.DockerName] = r
	}
	out := []VolumeView{}
	mounted := map[string]bool{}
	for _, v := range c.Volumes {
		dn := VolumeName(m.o.InstanceID, c.ProjectUUID, c.UUID, v)
		mounted[dn] = true
		view := m.viewOf(v.Name, v.Scope, dn, byName[dn])
		mp := v.MountPath
		view.MountPath, view.ReadOnly = &mp, v.ReadOnly
		if v.Scope == settings.ScopeContainer {
			view.Container, view.ContainerTitle = optStr(c.UUID), c.Title
		}
		view.Users = append(view.Users, VolumeUser{UUID: c.UUID, Title: c.Title, MountPath: v.MountPath, ReadOnly: v.ReadOnly, State: c.State})
		out = append(out, view)
	}
	for _, r := range recs {
		if r.ContainerUUID == c.UUID && r.Scope == settings.ScopeContainer && !mounted[r.DockerName] {
			out = append(out, m.viewOf(r.Name, r.Scope, r.DockerName, r))
		}
	}
	m.refreshSizesIfStale()
	return out, nil
}

// ProjectVolumes lists a project's shared volumes (created, or configured in a container and created at its next
// start) with the containers configured with each, then the volumes kept after their container was deleted.
func (m *Manager) ProjectVolumes(ctx context.Context, projectUUID string) ([]VolumeView, error) {
	recs, err := m.st.ListVolumes(ctx, store.VolumeFilter{ProjectUUID: projectUUID})
	if err != nil {
		return nil, err
	}
	containers, _, err := m.st.ListContainers(ctx, store.ContainerFilter{ProjectUUIDs: []string{projectUUID}})
	if err != nil {
		return nil, err
	}
	views := map[string]*VolumeView{}
	var order []string
	add := func(name string, rec *store.Volume) *VolumeView {
		if v := views[name]; v != nil {
			return v
		}
		dn := VolumeName(m.o.InstanceID, projectUUID, "", settings.Volume{Name: name, Scope: settings.ScopeProject})
		if rec != nil {
			dn = rec.DockerName
		}
		v := m.viewOf(name, settings.ScopeProject, dn, rec)
		views[name] = &v
		order = append(order, name)
		return &v
	}
	for _, r := range recs {
		if r.Scope == settings.ScopeProject {
			add(r.Name, r)
		}
	}
	for _, c := range containers {
		for _, v := range c.Volumes {
			if v.Scope == settings.ScopeProject {
				view := add(v.Name, nil)
				view.Users = append(view.Users, VolumeUser{UUID: c.UUID, Title: c.Title, MountPath: v.MountPath, ReadOnly: v.ReadOnly,
					State: c.State})
			}
		}
	}
	slices.Sort(order)
	out := []VolumeView{}
	for _, name := range order {
		out = append(out, *views[name])
	}
	for _, r := range recs {
		if r.Scope == settings.ScopeContainer && r.Kept() {
			out = append(out, m.viewOf(r.Name, r.Scope, r.DockerName, r))
		}
	}
	m.refreshSizesIfStale()
	return out, nil
}

// sizesMaxAge is how old measured volume sizes may be before a listing asks for new ones.
const sizesMaxAge = 5 * time.Minute

// refreshSizesIfStale measures the volume sizes in the background when the last measurement is older than
// sizesMaxAge, one measurement at a time.
func (m *Manager) refreshSizesIfStale() {
	if time.Since(time.Unix(0, m.sizesAt.Load())) < sizesMaxAge || m.ctx.Err() != nil || !m.sizesBusy.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer m.sizesBusy.Store(false)
		ctx, cancel := context.WithTimeout(m.ctx, 2*time.Minute)
		defer cancel()
		if _, err := m.measureVolumes(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("measure volume sizes", "err", err)
		}
	}()
}

// measureVolumes asks the engine for the size of every volume and stores those of kiosc's volumes.
func (m *Manager) measureVolumes(ctx context.Context) (map[string]int64, error) {
	vd, err := m.volumeDocker()
	if err != nil {
		return nil, err
	}
	sizes, err := vd.VolumeSizes(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	m.sizesAt.Store(now.UnixNano())
	return sizes, m.st.UpdateVolumeSizes(context.WithoutCancel(ctx), sizes, now)
}
