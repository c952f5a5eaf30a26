package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/client"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// tarOf builds a tar archive of the given headers; regular files get body as content.
func tarOf(t *testing.T, body string, hdrs ...tar.Header) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = io.WriteString(tw, body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// headers reads every header of a tar archive.
func headers(t *testing.T, r io.ReadCloser) []*tar.Header {
	t.Helper()
	defer r.Close()
	var out []*tar.Header
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

// A named volume, a never-started container of an empty imported image with the volume mounted, and the archive
// endpoints on it: the ownership of the volume's root is set with a directory entry named after the mount point,
// files go in and come out, and the volume outlives the container.
func TestVolumesAndArchives(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	ctx := context.Background()
	value := uuid.NewString()
	labels := map[string]string{dockertest.TestLabel: "true", "kiosc.test.case": value}
	dockertest.Cleanup(t, "kiosc.test.case="+value)

	ref := "kiosc-test-empty-" + value[:8] + ":1"
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), ref, client.ImageRemoveOptions{Force: true}) })
	for range 2 { // the second call finds the image
		if err := dk.EnsureEmptyImage(ctx, ref, labels); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := dk.ImageExists(ctx, ref); !ok || err != nil {
		t.Fatalf("empty image: %v %v", ok, err)
	}

	vol := "kiosc-test-vol-" + value
	if created, err := dk.EnsureVolume(ctx, docker.VolumeSpec{Name: vol, Labels: labels}); err != nil || !created {
		t.Fatalf("first ensure: %v %v", created, err)
	}
	if created, err := dk.EnsureVolume(ctx, docker.VolumeSpec{Name: vol, Labels: labels}); err != nil || created {
		t.Fatalf("second ensure: %v %v", created, err)
	}
	if ok, err := dk.VolumeExists(ctx, vol); !ok || err != nil {
		t.Fatalf("exists: %v %v", ok, err)
	}
	id, err := dk.Create(ctx, docker.ContainerSpec{Name: "kiosc-test-helper-" + value[:8], Image: ref, Cmd: []string{"/none"},
		Labels: labels, Network: "none", Mounts: []docker.Mount{{Volume: vol, Target: "/volumes/data", NoCopy: true}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := dk.Inspect(ctx, id)
	if err != nil || len(info.Mounts) != 1 || info.Mounts[0].Name != vol || info.Mounts[0].Destination != "/volumes/data" || !info.Mounts[0].RW {
		t.Fatalf("mounts %+v %v", info, err)
	}

	// The root's owner: one directory entry named after the mount point, extracted into its parent.
	now := time.Now()
	if err := dk.CopyTo(ctx, id, "/volumes", tarOf(t, "", tar.Header{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o755,
		Uid: 1000, Gid: 100, ModTime: now})); err != nil {
		t.Fatal(err)
	}
	if err := dk.CopyTo(ctx, id, "/volumes/data", tarOf(t, "hello", tar.Header{Name: "sub/", Typeflag: tar.TypeDir, Mode: 0o755,
		Uid: 1000, Gid: 100, ModTime: now}, tar.Header{Name: "sub/a.txt", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1000, Gid: 100,
		ModTime: now}, tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "sub/a.txt", ModTime: now})); err != nil {
		t.Fatal(err)
	}
	rc, err := dk.CopyFrom(ctx, id, "/volumes/data")
	if err != nil {
		t.Fatal(err)
	}
	hs := headers(t, rc)
	names := map[string]*tar.Header{}
	for _, h := range hs {
		names[h.Name] = h
	}
	if root := names["data/"]; root == nil || root.Uid != 1000 || root.Gid != 100 {
		t.Errorf("root of the volume: %+v (all %v)", root, names)
	}
	if f := names["data/sub/a.txt"]; f == nil || f.Size != 5 || f.Uid != 1000 {
		t.Errorf("file: %+v", f)
	}
	if st, err := dk.StatPath(ctx, id, "/volumes/data/link"); err != nil || !st.IsSymlink || st.LinkTarget == "" {
		t.Errorf("stat of the link: %+v %v", st, err)
	}
	if st, err := dk.StatPath(ctx, id, "/volumes/data/sub"); err != nil || !st.IsDir || st.IsSymlink {
		t.Errorf("stat of the folder: %+v %v", st, err)
	}
	if _, err := dk.StatPath(ctx, id, "/volumes/data/none"); !docker.IsNotFound(err) {
		t.Errorf("stat of a missing path: %v", err)
	}
	if _, err := dk.CopyFrom(ctx, id, "/volumes/data/none"); !docker.IsNotFound(err) {
		t.Errorf("copy of a missing path: %v", err)
	}
	sizes, err := dk.VolumeSizes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sz, ok := sizes[vol]; !ok || sz < 5 {
		t.Errorf("size of %s: %d %v", vol, sz, ok)
	}

	// A volume that a container mounts is in use; removing the container keeps the named volume.
	if err := dk.RemoveVolume(ctx, vol); !errors.Is(err, docker.ErrInUse) {
		t.Errorf("remove in use: %v", err)
	}
	if err := dk.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if ok, err := dk.VolumeExists(ctx, vol); !ok || err != nil {
		t.Fatalf("the named volume went with its container: %v %v", ok, err)
	}
	if err := dk.RemoveVolume(ctx, vol); err != nil {
		t.Fatal(err)
	}
	if err := dk.RemoveVolume(ctx, vol); !docker.IsNotFound(err) {
		t.Errorf("remove twice: %v", err)
	}
}
