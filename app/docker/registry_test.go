package docker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// TestPullFromRegistry pulls from a real registry on loopback: a registry that demands credentials refuses a pull
// without them or with a wrong password (told as access denied), and a pull with them reports the layers' summed
// download progress rising to the total size of the layers it downloads.
func TestPullFromRegistry(t *testing.T) {
	t.Parallel()
	// 1 MiB/s per layer: three 2 MiB layers download in parallel for about two seconds, long enough for several
	// progress reports.
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{Username: "puller", Password: "pull-secret",
		BlobBytesPerSecond: 1 << 20})
	img := reg.PushLayered(t, "kiosc-test/layers:v1", dockertest.LayeredImage{Layers: 3, LayerSize: 2 << 20})
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	ctx := context.Background()

	for _, auth := range []*docker.RegistryAuth{nil, {Username: "puller", Password: "wrong"}} {
		err := dk.Pull(ctx, img.Ref, auth, nil)
		if err == nil {
			t.Fatalf("pull with credentials %+v succeeded", auth)
		}
		if got := docker.ClassifyPull(err); got != docker.PullDenied {
			t.Errorf("pull with credentials %+v: %v classified as %d, want PullDenied", auth, err, got)
		}
	}
	if ok, err := dk.ImageExists(ctx, img.Ref); ok || err != nil {
		t.Fatalf("image on the engine after refused pulls: %v %v", ok, err)
	}

	var reports []docker.PullProgress
	if err := dk.Pull(ctx, img.Ref, &docker.RegistryAuth{Username: "puller", Password: "pull-secret"},
		func(p docker.PullProgress) { reports = append(reports, p) }); err != nil {
		t.Fatalf("pull with credentials: %v", err)
	}
	// The test app's base layer is on the engine already: the added layers are what downloads.
	var size int64
	for _, l := range img.Layers[1:] {
		size += l.Size
	}
	var during int
	var prev docker.PullProgress
	for _, p := range reports {
		if p.Current < prev.Current || p.Total < prev.Total || p.Current > p.Total {
			t.Errorf("progress %d/%d after %d/%d", p.Current, p.Total, prev.Current, prev.Total)
		}
		if p.Total > 0 && p.Current < p.Total {
			during++
		}
		prev = p
	}
	if during < 3 {
		t.Errorf("%d reports during the download, want at least 3: %+v", during, reports)
	}
	if last := reports[len(reports)-1]; last.Current != size || last.Total != size ||
		!strings.Contains(last.Status, "Downloaded newer image") {
		t.Errorf("final report %+v, want %d/%d bytes and the engine's closing status", last, size, size)
	}
	if ok, err := dk.ImageExists(ctx, img.Ref); !ok || err != nil {
		t.Errorf("image missing after the pull: %v", err)
	}
}
