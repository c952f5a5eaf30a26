package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// Mount is a named volume mounted into a container.
type Mount struct {
	Volume   string // the Docker volume's name
	Target   string // the absolute path inside the container
	ReadOnly bool
	// NoCopy keeps Docker from copying the image's files at Target into a new, empty volume.
	NoCopy bool
}

func mounts(ms []Mount) []mount.Mount {
	if len(ms) == 0 {
		return nil
	}
	out := make([]mount.Mount, 0, len(ms))
	for _, m := range ms {
		mm := mount.Mount{Type: mount.TypeVolume, Source: m.Volume, Target: m.Target, ReadOnly: m.ReadOnly}
		if m.NoCopy {
			mm.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
		}
		out = append(out, mm)
	}
	return out
}

// VolumeSpec is a named volume kiosc creates.
type VolumeSpec struct {
	Name   string
	Labels map[string]string
}

// EnsureVolume creates the named volume unless it exists and reports whether it created it. A volume of the name
// that exists keeps its labels and content.
func (c *Client) EnsureVolume(ctx context.Context, s VolumeSpec) (bool, error) {
	c.count()
	if _, err := c.cli.VolumeInspect(ctx, s.Name, client.VolumeInspectOptions{}); err == nil {
		return false, nil
	} else if !cerrdefs.IsNotFound(err) {
		return false, err
	}
	c.count()
	if _, err := c.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: s.Name, Driver: "local", Labels: s.Labels}); err != nil {
		return false, err
	}
	return true, nil
}

// VolumeExists reports whether the named volume exists.
func (c *Client) VolumeExists(ctx context.Context, name string) (bool, error) {
	c.count()
	_, err := c.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	}
	return false, err
}

// RemoveVolume removes a named volume. A missing volume is ErrNotFound; one that a container (running or not)
// mounts is ErrInUse.
func (c *Client) RemoveVolume(ctx context.Context, name string) error {
	c.count()
	_, err := c.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	return wrapInUse(err)
}

// VolumeSizes measures the disk space of every volume (`docker system df -v`), by volume name. Volumes whose driver
// cannot tell are left out. The engine walks every volume to answer, so this is for on-demand views.
func (c *Client) VolumeSizes(ctx context.Context) (map[string]int64, error) {
	c.count()
	du, err := c.cli.DiskUsage(ctx, client.DiskUsageOptions{Volumes: true, Verbose: true})
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, v := range du.Volumes.Items {
		if v.UsageData != nil && v.UsageData.Size >= 0 {
			out[v.Name] = v.UsageData.Size
		}
	}
	return out, nil
}

// PathStat describes a path in a container's file system.
type PathStat struct {
	Name       string
	Size       int64
	IsDir      bool
	IsSymlink  bool
	LinkTarget string
	Mtime      time.Time
	// Perm holds the permission bits with setuid (04000), setgid (02000) and sticky (01000), as tar and chmod write them.
	Perm int64
}

// StatPath describes a path in a container (running or not); ErrNotFound when it does not exist.
func (c *Client) StatPath(ctx context.Context, id, path string) (PathStat, error) {
	c.count()
	res, err := c.cli.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: path})
	if err != nil {
		return PathStat{}, wrap(err)
	}
	st := res.Stat
	perm := int64(st.Mode.Perm())
	for bit, v := range map[os.FileMode]int64{os.ModeSetuid: 0o4000, os.ModeSetgid: 0o2000, os.ModeSticky: 0o1000} {
		if st.Mode&bit != 0 {
			perm |= v
		}
	}
	return PathStat{Name: st.Name, Size: st.Size, IsDir: st.Mode.IsDir(), IsSymlink: st.Mode&os.ModeSymlink != 0,
		LinkTarget: st.LinkTarget, Mtime: st.Mtime, Perm: perm}, nil
}

// CopyFrom streams a tar archive of path in a container (running or not): a file, or a directory with everything
// below it, named after path's last element. The caller closes the reader. ErrNotFound when path does not exist.
func (c *Client) CopyFrom(ctx context.Context, id, path string) (io.ReadCloser, error) {
	c.count()
	res, err := c.cli.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		return nil, wrap(err)
	}
	return res.Content, nil
}

// CopyTo extracts a tar archive into the directory dir of a container (running or not). Entries keep the owner,
// mode and times their headers give; an existing directory is never replaced by a file, nor a file by a directory.
func (c *Client) CopyTo(ctx context.Context, id, dir string, content io.Reader) error {
	c.count()
	_, err := c.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: dir, Content: content})
	return wrap(err)
}

// EnsureEmptyImage makes sure the image ref exists, importing it when absent as an image with an empty file system
// and the given labels. Containers of it are created and never started: their file system holds nothing but
// the mount points of the volumes they are created with, for the engine's archive endpoints.
func (c *Client) EnsureEmptyImage(ctx context.Context, ref string, labels map[string]string) error {
	if ok, err := c.ImageExists(ctx, ref); err != nil || ok {
		return err
	}
	var empty bytes.Buffer
	if err := tar.NewWriter(&empty).Close(); err != nil {
		return err
	}
	var changes []string
	for k, v := range labels {
		changes = append(changes, fmt.Sprintf("LABEL %s=%q", k, v))
	}
	c.count()
	res, err := c.cli.ImageImport(ctx, client.ImageImportSource{SourceName: "-", Source: &empty}, ref,
		client.ImageImportOptions{Message: "kiosc's helper for volume files: no files, never run", Changes: changes})
	if err != nil {
		return fmt.Errorf("import %s: %w", ref, err)
	}
	defer res.Close()
	msg, err := io.ReadAll(res)
	if err != nil {
		return fmt.Errorf("import %s: %w", ref, err)
	}
	if strings.Contains(string(msg), `"error"`) {
		return fmt.Errorf("import %s: %s", ref, strings.TrimSpace(string(msg)))
	}
	return nil
}
