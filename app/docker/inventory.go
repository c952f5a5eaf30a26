package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// ErrInUse is returned when an object cannot be removed because something still uses it (a container on a
// network, a container or child image of an image).
var ErrInUse = errors.New("docker object in use")

// ContainerItem is one Docker container of the host, as the list endpoint reports it.
type ContainerItem struct {
	ID      string
	Name    string
	Image   string // the reference it was created from
	ImageID string
	State   string // created, running, paused, restarting, removing, exited, dead
	Status  string // Docker's human status, e.g. "Up 5 minutes", "Exited (0) 2 hours ago"
	Created time.Time
	Labels  map[string]string
	// Networks are the names of the networks the container is attached to, sorted.
	Networks []string
	// NetworkIDs are the IDs of the same networks.
	NetworkIDs []string
	// Volumes are the names of the (named or anonymous) volumes mounted, sorted.
	Volumes []string
}

// NetworkItem is one Docker network.
type NetworkItem struct {
	ID       string
	Name     string
	Driver   string
	Scope    string
	Internal bool
	Created  time.Time
	Labels   map[string]string
}

// VolumeItem is one Docker volume.
type VolumeItem struct {
	Name       string
	Driver     string
	Mountpoint string
	Created    time.Time
	Labels     map[string]string
}

// ImageItem is one local image (top-level images only, like `docker images`).
type ImageItem struct {
	ID       string
	Tags     []string
	Size     int64
	Created  time.Time
	Labels   map[string]string
	Dangling bool // no tag: left behind by a newer pull or build of the same name
}

// Inventory is everything on the Docker host kiosc shows to admins.
type Inventory struct {
	Containers []ContainerItem
	Networks   []NetworkItem
	Volumes    []VolumeItem
	Images     []ImageItem
}

// Inventory lists every container (running or not), network, volume and image of the engine: four list calls and
// no inspect, so it stays cheap on a busy host.
func (c *Client) Inventory(ctx context.Context) (*Inventory, error) {
	inv := &Inventory{}
	c.count()
	cs, err := c.cli.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, it := range cs.Items {
		ci := ContainerItem{ID: it.ID, Image: it.Image, ImageID: it.ImageID, State: string(it.State), Status: it.Status,
			Created: time.Unix(it.Created, 0).UTC(), Labels: it.Labels}
		if len(it.Names) > 0 {
			ci.Name = strings.TrimPrefix(it.Names[0], "/")
		}
		if ns := it.NetworkSettings; ns != nil {
			for name, ep := range ns.Networks {
				ci.Networks = append(ci.Networks, name)
				if ep != nil && ep.NetworkID != "" {
					ci.NetworkIDs = append(ci.NetworkIDs, ep.NetworkID)
				}
			}
		}
		for _, mp := range it.Mounts {
			if mp.Type == mount.TypeVolume && mp.Name != "" {
				ci.Volumes = append(ci.Volumes, mp.Name)
			}
		}
		slices.Sort(ci.Networks)
		slices.Sort(ci.NetworkIDs)
		slices.Sort(ci.Volumes)
		inv.Containers = append(inv.Containers, ci)
	}
	c.count()
	ns, err := c.cli.NetworkList(ctx, client.NetworkListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range ns.Items {
		inv.Networks = append(inv.Networks, NetworkItem{ID: n.ID, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
			Internal: n.Internal, Created: n.Created.UTC(), Labels: n.Labels})
	}
	c.count()
	vs, err := c.cli.VolumeList(ctx, client.VolumeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	for _, v := range vs.Items {
		inv.Volumes = append(inv.Volumes, VolumeItem{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint,
			Created: dockerTime(v.CreatedAt), Labels: v.Labels})
	}
	c.count()
	is, err := c.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	for _, im := range is.Items {
		tags := slices.DeleteFunc(slices.Clone(im.RepoTags), func(t string) bool { return t == "<none>:<none>" })
		inv.Images = append(inv.Images, ImageItem{ID: im.ID, Tags: tags, Size: im.Size, Created: time.Unix(im.Created, 0).UTC(),
			Labels: im.Labels, Dangling: len(tags) == 0})
	}
	slices.SortFunc(inv.Containers, func(a, b ContainerItem) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(inv.Networks, func(a, b NetworkItem) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(inv.Volumes, func(a, b VolumeItem) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(inv.Images, func(a, b ImageItem) int {
		return strings.Compare(strings.Join(a.Tags, ","), strings.Join(b.Tags, ",")) // untagged first, then by name
	})
	return inv, nil
}

// RemoveNetwork removes one network by ID or name. A missing network is ErrNotFound; one that still has
// containers attached is ErrInUse.
func (c *Client) RemoveNetwork(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return wrapInUse(err)
}

// RemoveImage removes one image by ID without force and without pruning its untagged parents. An image that a
// container (running or not) or a child image uses is ErrInUse; a missing one ErrNotFound.
func (c *Client) RemoveImage(ctx context.Context, id string) error {
	c.count()
	_, err := c.cli.ImageRemove(ctx, id, client.ImageRemoveOptions{})
	return wrapInUse(err)
}

// wrapInUse maps the SDK's not-found and conflict errors to ErrNotFound and ErrInUse.
func wrapInUse(err error) error {
	switch {
	case err == nil:
		return nil
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case cerrdefs.IsConflict(err), cerrdefs.IsFailedPrecondition(err), strings.Contains(err.Error(), "has active endpoints"):
		return fmt.Errorf("%w: %w", ErrInUse, err)
	}
	return err
}
