package dockertest

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// TestRegistry checks the test registry itself against the engine: it speaks plain HTTP on loopback, demands its
// credentials, serves images with several layers whose download the engine reports layer by layer, and leaves no
// image behind.
func TestRegistry(t *testing.T) {
	t.Parallel()
	cli := Client(t)
	var host string
	t.Run("push and pull", func(t *testing.T) {
		r := StartRegistry(t, RegistryOptions{Username: "reg-user", Password: "reg-pass", BlobBytesPerSecond: 1 << 20})
		host = r.Host
		if !strings.HasPrefix(r.Host, "127.0.0.1:") {
			t.Fatalf("registry host %q is not on loopback", r.Host)
		}
		// Plain HTTP, and basic auth.
		for _, c := range []struct {
			user, pass string
			want       int
		}{{"", "", http.StatusUnauthorized}, {"reg-user", "wrong", http.StatusUnauthorized}, {"reg-user", "reg-pass", http.StatusOK}} {
			req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/", nil)
			if c.user != "" {
				req.SetBasicAuth(c.user, c.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("GET /v2/ as %q/%q: status %d, want %d", c.user, c.pass, resp.StatusCode, c.want)
			}
		}

		p := r.PushLayered(t, "kiosc-test/app:v1", LayeredImage{Layers: 3, LayerSize: 1 << 20})
		if _, err := cli.ImageInspect(context.Background(), p.Ref); err == nil {
			t.Errorf("%s is still on the engine after the push", p.Ref)
		}
		if !slices.ContainsFunc(r.Requests(), func(q RegistryRequest) bool {
			return q.Method == http.MethodPut && strings.HasSuffix(q.Path, "/manifests/v1") && q.Status == http.StatusCreated && q.Authorized
		}) {
			t.Errorf("no authorized manifest PUT among the registry's requests: %+v", r.Requests())
		}

		if _, err := r.PullRaw(t, p.Ref, ""); err == nil || !strings.Contains(err.Error(), "no basic auth credentials") {
			t.Errorf("pull without credentials: %v", err)
		}
		msgs, err := r.PullRaw(t, p.Ref, r.EncodedAuth())
		if err != nil {
			t.Fatalf("pull with credentials: %v", err)
		}
		// The test app's layer is on the engine already; each added layer downloads with progress up to its size
		// in the manifest, then completes.
		if id := shortDigest(p.Layers[0].Digest); !slices.ContainsFunc(msgs, func(m jsonstream.Message) bool {
			return m.ID == id && m.Status == "Already exists"
		}) {
			t.Errorf("base layer %s not reported as existing", id)
		}
		for _, l := range p.Layers[1:] {
			id := shortDigest(l.Digest)
			var last int64
			var downloads int
			var statuses []string
			for _, m := range msgs {
				if m.ID != id {
					continue
				}
				statuses = append(statuses, m.Status)
				if m.Status == "Downloading" && m.Progress != nil {
					downloads++
					if m.Progress.Total != l.Size || m.Progress.Current < last || m.Progress.Current > l.Size {
						t.Errorf("layer %s: download progress %d/%d after %d, size %d", id, m.Progress.Current,
							m.Progress.Total, last, l.Size)
					}
					last = m.Progress.Current
				}
			}
			if downloads < 3 || !slices.Contains(statuses, "Download complete") || statuses[len(statuses)-1] != "Pull complete" {
				t.Errorf("layer %s: %d download reports, statuses %v", id, downloads, statuses)
			}
		}
		if _, err := cli.ImageInspect(context.Background(), p.Ref); err != nil {
			t.Errorf("%s not on the engine after the pull: %v", p.Ref, err)
		}
	})

	// The registry's cleanup removed what was pulled from it.
	imgs, err := cli.ImageList(context.Background(), client.ImageListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs.Items {
		for _, ref := range slices.Concat(img.RepoTags, img.RepoDigests) {
			if strings.HasPrefix(ref, host+"/") {
				t.Errorf("image %s left on the engine", ref)
			}
		}
	}
}

func shortDigest(d string) string { return strings.TrimPrefix(d, "sha256:")[:12] }
