package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
)

// LayeredImage describes an image that [Registry.PushLayered] builds from the test app image.
type LayeredImage struct {
	// Layers is the number of layers added on top of the test app, each holding one file of LayerSize random
	// bytes (so no two layers, and no two images, share content). Default 3.
	Layers int
	// LayerSize is the size of each added file in bytes. Default 2 MiB.
	LayerSize int
	// Env is set in the image (ENV), e.g. to tell two images of the same tag apart from inside the container.
	Env map[string]string
}

// Pushed is an image in the registry.
type Pushed struct {
	Ref string // reference to pull, host:port/repo:tag
	ID  string // image ID (the config digest, the same after a pull)
	// Layers are the compressed layers in the registry's manifest (the test app's base layer first).
	Layers []Layer
}

// Layer is one layer of a manifest.
type Layer struct {
	Digest string
	Size   int64
}

// PushLayered builds an image FROM the test app with opts' extra layers using the engine's classic builder, tags
// it repoTag in this registry, pushes it (with the registry's credentials) and removes it from the engine again,
// so that only a pull brings it back; the test app image itself, and thus its base layer, stays.
func (r *Registry) PushLayered(t testing.TB, repoTag string, opts LayeredImage) Pushed {
	t.Helper()
	if opts.Layers == 0 {
		opts.Layers = 3
	}
	if opts.LayerSize == 0 {
		opts.LayerSize = 2 << 20
	}
	base := TestAppImage(t)
	ref := r.Ref(repoTag)
	ctx, cancel := context.WithTimeout(context.Background(), PushTimeout)
	defer cancel()

	id, err := buildLayered(ctx, r.cli, base, ref, opts)
	if err != nil {
		t.Fatalf("build %s: %v", ref, err)
	}
	r.mu.Lock()
	r.images = append(r.images, id)
	r.mu.Unlock()
	if err := r.push(ctx, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := removeImage(ctx, r.cli, id); err != nil {
		t.Fatalf("remove %s after the push: %v", ref, err)
	}
	repo, tag, _ := strings.Cut(repoTag, ":")
	layers, err := r.ManifestLayers(ctx, repo, tag)
	if err != nil {
		t.Fatalf("manifest of %s: %v", ref, err)
	}
	if len(layers) != opts.Layers+1 {
		t.Fatalf("manifest of %s has %d layers, want %d (the test app's and %d added)", ref, len(layers), opts.Layers+1,
			opts.Layers)
	}
	return Pushed{Ref: ref, ID: id, Layers: layers}
}

// buildLayered builds ref FROM base with the extra layers and returns its image ID.
func buildLayered(ctx context.Context, cli *client.Client, base, ref string, opts LayeredImage) (string, error) {
	var df strings.Builder
	fmt.Fprintf(&df, "FROM %s\n", base)
	files := map[string][]byte{}
	for i := range opts.Layers {
		data := make([]byte, opts.LayerSize)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("layer%d.bin", i+1)
		files[name] = data
		fmt.Fprintf(&df, "COPY %s /data/%s\n", name, name)
	}
	for _, k := range slices.Sorted(maps.Keys(opts.Env)) {
		fmt.Fprintf(&df, "ENV %s=%q\n", k, opts.Env[k])
	}
	files["Dockerfile"] = []byte(df.String())

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			return "", err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{ref},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		Labels:      map[string]string{TestLabel: "true"},
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var log strings.Builder
	if err := readStream(res.Body, func(m jsonstream.Message) { log.WriteString(m.Stream) }); err != nil {
		return "", fmt.Errorf("%w\n%s", err, log.String())
	}
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("image missing after build: %w\n%s", err, log.String())
	}
	return img.ID, nil
}

// readStream decodes the engine's JSON message stream, returning the first error message in it.
func readStream(r io.Reader, fn func(jsonstream.Message)) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's output: %w", err)
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		fn(m)
	}
}

// push pushes ref with the registry's credentials.
func (r *Registry) push(ctx context.Context, ref string) error {
	auth := r.EncodedAuth()
	if auth == "" {
		// The engine wants the header even for a registry without auth.
		b, _ := json.Marshal(registry.AuthConfig{ServerAddress: r.Host})
		auth = base64.URLEncoding.EncodeToString(b)
	}
	res, err := r.cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: auth})
	if err != nil {
		return err
	}
	defer res.Close()
	return readStream(res, func(jsonstream.Message) {})
}

// PullRaw pulls ref straight through the engine API with the given encoded credentials ("" for none) and returns
// every message of the engine's progress stream, or the error the engine reported.
func (r *Registry) PullRaw(t testing.TB, ref, encodedAuth string) ([]jsonstream.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), PushTimeout)
	defer cancel()
	res, err := r.cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: encodedAuth})
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var msgs []jsonstream.Message
	err = readStream(res, func(m jsonstream.Message) { msgs = append(msgs, m) })
	return msgs, err
}

// RemoveImage removes ref from the engine (not from the registry), so that the next start must pull it again.
func (r *Registry) RemoveImage(t testing.TB, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := removeImage(ctx, r.cli, ref); err != nil {
		t.Fatalf("remove image %s: %v", ref, err)
	}
}

// TagLocal tags the engine's image id as ref, e.g. to put an older image back under a tag that has moved in the
// registry since.
func (r *Registry) TagLocal(t testing.TB, id, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := r.cli.ImageTag(ctx, client.ImageTagOptions{Source: id, Target: ref}); err != nil {
		t.Fatalf("tag %s as %s: %v", id, ref, err)
	}
}

// ImageOf returns the ID of the image the container was created from.
func ImageOf(t testing.TB, containerID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ins, err := Client(t).ContainerInspect(ctx, containerID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %.12s: %v", containerID, err)
	}
	return ins.Container.Image
}

// removeImage removes an image and its untagged parents; one that is gone is fine.
func removeImage(ctx context.Context, cli *client.Client, ref string) error {
	_, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// ManifestLayers reads the layers of repo:tag from the registry's image manifest (schema 2).
func (r *Registry) ManifestLayers(ctx context.Context, repo, tag string) ([]Layer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.Host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if r.opts.Username != "" {
		req.SetBasicAuth(r.opts.Username, r.opts.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var m struct {
		Layers []Layer `json:"layers"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	return m.Layers, nil
}

// removeImages force-removes the containers of the images pushed (only tests create them; kiosc's are normally
// removed before) and then every image of the registry: those pushed and whatever else the engine has under the
// registry's host.
func (r *Registry) removeImages(ctx context.Context) error {
	r.mu.Lock()
	ids := slices.Clone(r.images)
	r.mu.Unlock()
	var errs []error
	for _, id := range ids {
		cs, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true,
			Filters: make(client.Filters).Add("ancestor", id)})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
			continue
		}
		for _, c := range cs.Items {
			if err := removeContainer(ctx, r.cli, c.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	imgs, err := r.cli.ImageList(ctx, client.ImageListOptions{All: true})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, img := range imgs.Items {
		ours := slices.Contains(ids, img.ID)
		for _, ref := range slices.Concat(img.RepoTags, img.RepoDigests) {
			ours = ours || strings.HasPrefix(ref, r.Host+"/")
		}
		if ours {
			if err := removeImage(ctx, r.cli, img.ID); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
