package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// InventoryDocker is what the admin overview and maintenance need from the engine beyond Docker (implemented by
// *docker.Client).
type InventoryDocker interface {
	Inventory(ctx context.Context) (*docker.Inventory, error)
	RemoveNetwork(ctx context.Context, id string) error
	RemoveImage(ctx context.Context, id string) error
}

// inventory returns the engine's inventory calls, or an error when the configured client has none.
func (m *Manager) inventory() (InventoryDocker, error) {
	inv, ok := m.dk.(InventoryDocker)
	if !ok {
		return nil, errors.New("the Docker client cannot list the host's objects")
	}
	return inv, nil
}

// ContainerRef names a kiosc container (the user of a Docker object).
type ContainerRef struct {
	UUID         string `json:"uuid"`
	Title        string `json:"title"`
	Project      string `json:"project"`
	ProjectTitle string `json:"project_title"`
}

// KnownContainer is a container kiosc has a record of, with what Docker says about it.
type KnownContainer struct {
	ContainerRef
	Image        string      `json:"image"`
	State        store.State `json:"state"`
	StateReason  string      `json:"state_reason"`
	DesiredState store.State `json:"desired_state"`
	DockerID     *string     `json:"docker_id"`
	DockerName   string      `json:"docker_name"`
	// DockerState is Docker's state (running, exited, ...), "missing" when the Docker container kiosc expects is
	// gone, or "none" when the record has no Docker container (never started, or removed on purpose).
	DockerState  string   `json:"docker_state"`
	DockerStatus string   `json:"docker_status"`
	Missing      bool     `json:"missing"`
	Networks     []string `json:"networks"`
	// Node is the Swarm node that runs it (KIOSC_RUNTIME=swarm; empty otherwise or while no node does).
	Node string `json:"node"`
}

// SwarmNode is a node of the swarm (KIOSC_RUNTIME=swarm) with the kiosc containers it runs.
type SwarmNode struct {
	ID           string            `json:"id"`
	Hostname     string            `json:"hostname"`
	Addr         string            `json:"addr"`
	Role         string            `json:"role"`
	State        string            `json:"state"`
	Availability string            `json:"availability"`
	Labels       map[string]string `json:"labels"`
	CPUs         float64           `json:"cpus"`
	Memory       int64             `json:"memory"`
	// Self is the node of the engine kiosc talks to (where its volumes are).
	Self       bool           `json:"self"`
	Containers []ContainerRef `json:"containers"`
}

// swarmNoder lists the nodes of a swarm (the Swarm runtime).
type swarmNoder interface {
	Nodes(ctx context.Context) ([]docker.Node, error)
}

// DockerContainer is a Docker container without a kiosc record of this instance.
type DockerContainer struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`
	State   string    `json:"state"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	// KioscInstance is set when another kiosc instance manages the container; KioscContainer is its kiosc uuid.
	KioscInstance  string   `json:"kiosc_instance"`
	KioscContainer string   `json:"kiosc_container"`
	Networks       []string `json:"networks"`
}

// DockerNetwork is a network with the kiosc containers attached to it.
type DockerNetwork struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Driver   string    `json:"driver"`
	Scope    string    `json:"scope"`
	Internal bool      `json:"internal"`
	Created  time.Time `json:"created"`
	// Kiosc is true for networks this instance created (its apps network, and one per container in private-bridges
	// mode).
	Kiosc bool `json:"kiosc"`
	// Shared is true for this instance's apps network, which every container shares in default-bridge mode.
	Shared        bool   `json:"shared"`
	KioscInstance string `json:"kiosc_instance"`
	// DockerContainers counts every container attached, kiosc's or not.
	DockerContainers int            `json:"docker_containers"`
	Containers       []ContainerRef `json:"containers"`
}

// DockerVolume is a volume with the kiosc containers that mount it or are configured with it.
type DockerVolume struct {
	Name       string     `json:"name"`
	Driver     string     `json:"driver"`
	Mountpoint string     `json:"mountpoint"`
	Created    *time.Time `json:"created"`
	// Size is the disk space the engine measured (nil: unknown, e.g. another volume driver or a slow engine).
	Size *int64 `json:"size"`
	// DockerContainers counts every Docker container that mounts it, kiosc's or not; Unused is true when none does.
	DockerContainers int            `json:"docker_containers"`
	Unused           bool           `json:"unused"`
	Containers       []ContainerRef `json:"containers"`
	// Kiosc is true for the volumes this instance created; KioscInstance names the instance of any kiosc volume.
	Kiosc         bool   `json:"kiosc"`
	KioscInstance string `json:"kiosc_instance"`
	// Scope, KioscName and Project describe a kiosc volume; Container and ContainerTitle name the container a
	// container-scope volume belongs to (ContainerDeletedAt: deleted, the volume kept until RemoveAfter).
	Scope              string     `json:"scope"`
	KioscName          string     `json:"kiosc_name"`
	Project            *string    `json:"project"`
	ProjectTitle       string     `json:"project_title"`
	Container          *string    `json:"container"`
	ContainerTitle     string     `json:"container_title"`
	ContainerDeletedAt *time.Time `json:"container_deleted_at"`
	RemoveAfter        *time.Time `json:"remove_after"`
}

// DockerImage is a local image with the kiosc containers that run it or are configured with it.
type DockerImage struct {
	ID               string         `json:"id"`
	Tags             []string       `json:"tags"`
	Size             int64          `json:"size"`
	Created          time.Time      `json:"created"`
	Dangling         bool           `json:"dangling"`
	DockerContainers int            `json:"docker_containers"`
	Containers       []ContainerRef `json:"containers"`
}

// DockerOverview is the Docker host as kiosc sees it (GET /api/v1/admin/docker).
type DockerOverview struct {
	Instance string `json:"instance"`
	// Runtime is docker or swarm; Nodes are the swarm's nodes (empty on a single engine).
	Runtime    string           `json:"runtime"`
	Nodes      []SwarmNode      `json:"nodes"`
	Containers []KnownContainer `json:"containers"`
	// Orphaned are Docker containers labelled for this instance without a record; the next resync removes them.
	Orphaned  []DockerContainer `json:"orphaned"`
	Unmanaged []DockerContainer `json:"unmanaged"`
	Networks  []DockerNetwork   `json:"networks"`
	Volumes   []DockerVolume    `json:"volumes"`
	Images    []DockerImage     `json:"images"`
}

// DockerOverview lists every container kiosc knows with its Docker state, the Docker containers it does not
// manage, and the networks, volumes and images with the kiosc containers that use them. It reads the database and
// makes one list call per kind of Docker object.
func (m *Manager) DockerOverview(ctx context.Context) (*DockerOverview, error) {
	dk, err := m.inventory()
	if err != nil {
		return nil, err
	}
	records, _, err := m.st.ListContainers(ctx, store.ContainerFilter{})
	if err != nil {
		return nil, err
	}
	titles, err := m.projectTitles(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := dk.Inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	ref := func(c *store.Container) ContainerRef {
		return ContainerRef{UUID: c.UUID, Title: c.Title, Project: c.ProjectUUID, ProjectTitle: titles[c.ProjectUUID]}
	}
	byUUID := map[string]*store.Container{}
	for _, c := range records {
		byUUID[c.UUID] = c
	}
	ours := map[string][]docker.ContainerItem{} // kiosc uuid → this instance's Docker containers
	users := map[string]ContainerRef{}          // Docker ID → kiosc container
	out := &DockerOverview{Instance: m.o.InstanceID, Runtime: "docker", Nodes: []SwarmNode{}, Containers: []KnownContainer{},
		Orphaned: []DockerContainer{}, Unmanaged: []DockerContainer{}, Networks: []DockerNetwork{}, Volumes: []DockerVolume{},
		Images: []DockerImage{}}
	services := map[string]docker.Summary{} // service ID → the service (Swarm)
	if m.o.Swarm {
		out.Runtime = "swarm"
		list, err := m.dk.List(ctx, LabelInstance+"="+m.o.InstanceID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
		}
		for _, s := range list {
			services[s.ID] = s
		}
	}
	for _, d := range inv.Containers {
		dc := DockerContainer{ID: d.ID, Name: d.Name, Image: d.Image, State: d.State, Status: d.Status, Created: d.Created,
			Networks: nonNil(d.Networks)}
		if d.Labels[LabelInstance] == m.o.InstanceID && d.Labels[LabelHelper] != "" {
			continue // a helper of a volume operation in progress
		}
		if d.Labels[LabelInstance] == m.o.InstanceID {
			id := d.Labels[LabelContainer]
			if c := byUUID[id]; c != nil {
				ours[id] = append(ours[id], d)
				users[d.ID] = ref(c)
				continue
			}
			dc.KioscInstance, dc.KioscContainer = m.o.InstanceID, id
			out.Orphaned = append(out.Orphaned, dc)
			continue
		}
		if d.Labels[LabelManaged] == "true" {
			dc.KioscInstance, dc.KioscContainer = d.Labels[LabelInstance], d.Labels[LabelContainer]
		}
		out.Unmanaged = append(out.Unmanaged, dc)
	}
	for _, c := range records {
		k := KnownContainer{ContainerRef: ref(c), Image: c.Image, State: c.State, StateReason: c.StateReason,
			DesiredState: c.DesiredState, DockerID: optStr(c.DockerID), DockerState: "none", Networks: []string{}}
		list := ours[c.UUID]
		i := slices.IndexFunc(list, func(d docker.ContainerItem) bool { return d.ID == c.DockerID })
		if i < 0 && len(list) > 0 {
			i = 0
		}
		svc, isService := services[c.DockerID]
		switch {
		case m.o.Swarm && isService:
			k.DockerID, k.DockerName, k.DockerState, k.Node = &svc.ID, svc.Name, svc.State, svc.Node
			k.Networks = []string{networkName(c.UUID)}
			if i >= 0 {
				k.DockerStatus = list[i].Status
			}
		case i >= 0 && !m.o.Swarm:
			d := list[i]
			k.DockerID, k.DockerName, k.DockerState, k.DockerStatus, k.Networks = &d.ID, d.Name, d.State, d.Status, nonNil(d.Networks)
		case c.DockerID != "" || c.State == store.StateNotFound:
			k.DockerState, k.Missing = "missing", true
		}
		out.Containers = append(out.Containers, k)
	}
	if sn, ok := m.dk.(swarmNoder); ok && m.o.Swarm {
		nodes, err := sn.Nodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
		}
		for _, n := range nodes {
			node := SwarmNode{ID: n.ID, Hostname: n.Hostname, Addr: n.Addr, Role: n.Role, State: n.State, Availability: n.Availability,
				Labels: n.Labels, CPUs: float64(n.NanoCPUs) / 1e9, Memory: n.MemoryBytes, Self: n.Self, Containers: []ContainerRef{}}
			if node.Labels == nil {
				node.Labels = map[string]string{}
			}
			for _, k := range out.Containers {
				if k.Node != "" && k.Node == n.Hostname {
					node.Containers = append(node.Containers, k.ContainerRef)
				}
			}
			out.Nodes = append(out.Nodes, node)
		}
	}
	for _, n := range inv.Networks {
		ours := n.Labels[LabelInstance] == m.o.InstanceID
		dn := DockerNetwork{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope, Internal: n.Internal, Created: n.Created,
			Kiosc: ours, Shared: ours && n.Labels[LabelNetwork] == NetworkApps, Containers: []ContainerRef{}}
		if n.Labels[LabelManaged] == "true" {
			dn.KioscInstance = n.Labels[LabelInstance]
		}
		for _, d := range inv.Containers {
			if slices.Contains(d.NetworkIDs, n.ID) || (len(d.NetworkIDs) == 0 && slices.Contains(d.Networks, n.Name)) {
				dn.DockerContainers++
				if r, ok := users[d.ID]; ok {
					dn.Containers = append(dn.Containers, r)
				}
			}
		}
		out.Networks = append(out.Networks, dn)
	}
	vols, err := m.st.ListVolumes(ctx, store.VolumeFilter{})
	if err != nil {
		return nil, err
	}
	volRecs := map[string]*store.Volume{}
	for _, r := range vols {
		volRecs[r.DockerName] = r
	}
	configured := map[string][]ContainerRef{} // Docker volume name → the containers configured with it
	for _, c := range records {
		for _, v := range c.Volumes {
			dn := VolumeName(m.o.InstanceID, c.ProjectUUID, c.UUID, v)
			configured[dn] = append(configured[dn], ref(c))
		}
	}
	sizes := m.overviewSizes(ctx)
	for _, v := range inv.Volumes {
		dv := DockerVolume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Containers: []ContainerRef{}}
		if !v.Created.IsZero() {
			dv.Created = &v.Created
		}
		if sz, ok := sizes[v.Name]; ok {
			dv.Size = &sz
		}
		seen := map[string]bool{}
		for _, d := range inv.Containers {
			if slices.Contains(d.Volumes, v.Name) {
				dv.DockerContainers++
				if r, ok := users[d.ID]; ok && !seen[r.UUID] {
					seen[r.UUID] = true
					dv.Containers = append(dv.Containers, r)
				}
			}
		}
		for _, r := range configured[v.Name] {
			if !seen[r.UUID] {
				seen[r.UUID] = true
				dv.Containers = append(dv.Containers, r)
			}
		}
		dv.Unused = dv.DockerContainers == 0
		if v.Labels[LabelManaged] == "true" {
			dv.KioscInstance, dv.Scope, dv.KioscName = v.Labels[LabelInstance], v.Labels[LabelVolumeScope], v.Labels[LabelVolume]
		}
		if rec := volRecs[v.Name]; rec != nil && dv.KioscInstance == m.o.InstanceID {
			dv.Kiosc, dv.Scope, dv.KioscName = true, rec.Scope, rec.Name
			dv.Project, dv.ProjectTitle = optStr(rec.ProjectUUID), titles[rec.ProjectUUID]
			if rec.Scope == settings.ScopeContainer {
				dv.Container, dv.ContainerTitle = optStr(rec.ContainerUUID), rec.ContainerTitle
			}
			dv.ContainerDeletedAt, dv.RemoveAfter = rec.ContainerDeletedAt, m.removeAfter(rec)
		}
		out.Volumes = append(out.Volumes, dv)
	}
	for _, im := range inv.Images {
		di := DockerImage{ID: im.ID, Tags: nonNil(im.Tags), Size: im.Size, Created: im.Created, Dangling: im.Dangling,
			Containers: []ContainerRef{}}
		seen := map[string]bool{}
		for _, d := range inv.Containers {
			if d.ImageID == im.ID {
				di.DockerContainers++
				if r, ok := users[d.ID]; ok && !seen[r.UUID] {
					seen[r.UUID] = true
					di.Containers = append(di.Containers, r)
				}
			}
		}
		// Containers configured with the image but without a Docker container (stopped and removed, never started).
		for _, c := range records {
			if !seen[c.UUID] && len(ours[c.UUID]) == 0 && slices.Contains(di.Tags, normalizeRef(c.Image)) {
				seen[c.UUID] = true
				di.Containers = append(di.Containers, ref(c))
			}
		}
		out.Images = append(out.Images, di)
	}
	return out, nil
}

// overviewSizes measures the volumes for the admin overview, within a bounded time (nil when the engine cannot
// tell in time).
func (m *Manager) overviewSizes(ctx context.Context) map[string]int64 {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	sizes, err := m.measureVolumes(ctx)
	if err != nil {
		m.log.Warn("measure volume sizes", "err", err)
	}
	return sizes
}

// projectTitles maps project uuids to titles.
func (m *Manager) projectTitles(ctx context.Context) (map[string]string, error) {
	ps, err := m.st.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ps))
	for _, p := range ps {
		out[p.UUID] = p.Title
	}
	return out, nil
}

// normalizeRef writes an image reference the way Docker lists its tags: the default registry and library
// namespace dropped, ":latest" added when no tag or digest is given.
func normalizeRef(ref string) string {
	ref = strings.TrimPrefix(ref, "docker.io/")
	ref = strings.TrimPrefix(ref, "library/")
	if strings.Contains(ref, "@") {
		return ref
	}
	if i := strings.LastIndex(ref, ":"); i < 0 || strings.Contains(ref[i:], "/") {
		ref += ":latest"
	}
	return ref
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
