package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
)

// RegistryAuth are credentials for a private registry.
type RegistryAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// PullProgress is one progress report of an image pull, summed over layers.
type PullProgress struct {
	Status  string
	Current int64
	Total   int64
}

// ImageExists reports whether the engine has the image locally.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	c.count()
	_, err := c.cli.ImageInspect(ctx, ref)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, err
}

// Pull pulls ref, calling progress (may be nil) with the layers' summed download progress at most every 200 ms and
// once more at the end.
func (c *Client) Pull(ctx context.Context, ref string, auth *RegistryAuth, progress func(PullProgress)) error {
	c.count()
	opts := client.ImagePullOptions{RegistryAuth: encodeAuth(ref, auth)}
	res, err := c.cli.ImagePull(ctx, ref, opts)
	if err != nil {
		return wrap(err)
	}
	defer res.Close()
	type layer struct{ cur, total int64 }
	layers := map[string]layer{}
	var last time.Time
	var status string
	report := func() {
		p := PullProgress{Status: status}
		for _, l := range layers {
			p.Current += l.cur
			p.Total += l.total
		}
		progress(p)
	}
	for m, err := range res.JSONMessages(ctx) {
		if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		// A downloaded layer's extraction reports its bytes again from zero: counting those would move the
		// progress backwards, so a layer stays complete once downloaded.
		if m.ID != "" && m.Progress != nil && m.Progress.Total > 0 && m.Status != "Extracting" {
			layers[m.ID] = layer{m.Progress.Current, m.Progress.Total}
		} else if m.ID != "" && (m.Status == "Pull complete" || m.Status == "Already exists" || m.Status == "Download complete") {
			if l, ok := layers[m.ID]; ok {
				layers[m.ID] = layer{l.total, l.total}
			}
		}
		status = m.Status
		if progress != nil && time.Since(last) > 200*time.Millisecond {
			last = time.Now()
			report()
		}
	}
	if progress != nil {
		// The final report: every layer complete, even when the last messages came within 200 ms.
		report()
	}
	return nil
}

// encodeAuth encodes auth for the engine's X-Registry-Auth header ("" without credentials).
func encodeAuth(ref string, auth *RegistryAuth) string {
	if auth == nil {
		return ""
	}
	aj, _ := json.Marshal(registry.AuthConfig{Username: auth.Username, Password: auth.Password, ServerAddress: registryHost(ref)})
	return base64.URLEncoding.EncodeToString(aj)
}

// registryHost returns the registry part of an image reference ("docker.io" when absent).
func registryHost(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "https://index.docker.io/v1/"
}

// Image is one local image.
type Image struct {
	ID         string
	Tags       []string
	Size       int64
	Created    time.Time
	Containers int64
}

// Images lists local images.
func (c *Client) Images(ctx context.Context) ([]Image, error) {
	c.count()
	res, err := c.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(res.Items))
	for _, im := range res.Items {
		out = append(out, Image{ID: im.ID, Tags: im.RepoTags, Size: im.Size, Created: time.Unix(im.Created, 0).UTC(), Containers: im.Containers})
	}
	return out, nil
}

// ImageInfo is what kiosc records about a local image.
type ImageInfo struct {
	ID string
	// RepoDigests are the repository digests the engine knows for the image ("repo@sha256:...", repositories of
	// Docker Hub in their short form), one for each registry repository it was pulled from or pushed to.
	RepoDigests []string
	// ExposedPorts are the TCP ports the image declares with EXPOSE, sorted; WorkingDir is its working directory.
	ExposedPorts []int
	WorkingDir   string
}

// ImageInfo returns the local image ref (a reference or an image ID); ErrNotFound when the engine does not have it.
func (c *Client) ImageInfo(ctx context.Context, ref string) (*ImageInfo, error) {
	c.count()
	res, err := c.cli.ImageInspect(ctx, ref)
	if err != nil {
		return nil, wrap(err)
	}
	info := &ImageInfo{ID: res.ID, RepoDigests: res.RepoDigests}
	if cfg := res.Config; cfg != nil {
		info.ExposedPorts, info.WorkingDir = exposedTCP(cfg.ExposedPorts), cfg.WorkingDir
	}
	return info, nil
}

// exposedTCP returns the TCP ports of an image's ExposedPorts ("8080/tcp", "53/udp", "9000"), sorted.
func exposedTCP(ports map[string]struct{}) []int {
	out := []int{}
	for p := range ports {
		num, proto, _ := strings.Cut(p, "/")
		if proto != "" && proto != "tcp" {
			continue
		}
		if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= 65535 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// RegistryDigest asks the registry of ref, through the engine and with auth (may be nil), for the digest the tag
// points at now ("sha256:..."), without pulling anything.
func (c *Client) RegistryDigest(ctx context.Context, ref string, auth *RegistryAuth) (string, error) {
	c.count()
	res, err := c.cli.DistributionInspect(ctx, ref, client.DistributionInspectOptions{EncodedRegistryAuth: encodeAuth(ref, auth)})
	if err != nil {
		return "", wrap(err)
	}
	return res.Descriptor.Digest.String(), nil
}

// EngineUnreachable reports whether err means the Docker engine itself did not answer (not a registry behind it).
func EngineUnreachable(err error) bool { return client.IsErrConnectionFailed(err) }
