package lifecycle

import (
	"errors"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	digestC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

func TestImageRepository(t *testing.T) {
	for ref, want := range map[string]string{
		"ubuntu":                                      "docker.io/library/ubuntu",
		"ubuntu:22.04":                                "docker.io/library/ubuntu",
		"library/ubuntu@" + digestA:                   "docker.io/library/ubuntu",
		"docker.io/library/ubuntu:22.04":              "docker.io/library/ubuntu",
		"index.docker.io/ubuntu":                      "docker.io/library/ubuntu",
		"jupyter/base-notebook:latest":                "docker.io/jupyter/base-notebook",
		"ghcr.io/org/app:1.4":                         "ghcr.io/org/app",
		"GHCR.io/org/app":                             "ghcr.io/org/app",
		"127.0.0.1:5000/kiosc-test/moving:latest":     "127.0.0.1:5000/kiosc-test/moving",
		"127.0.0.1:5000/kiosc-test/moving@" + digestA: "127.0.0.1:5000/kiosc-test/moving",
		"localhost/app":                               "localhost/app",
		"registry.example.org:5000/a/b":               "registry.example.org:5000/a/b",
	} {
		if got := imageRepository(ref); got != want {
			t.Errorf("imageRepository(%q) = %q, want %q", ref, got, want)
		}
	}
}

// TestImageDigest: the digest recorded for the image a container runs is its repository digest in the
// container's repository (however Docker Hub is spelled), else its ID.
func TestImageDigest(t *testing.T) {
	for _, tc := range []struct {
		name, ref string
		digests   []string
		want      string
	}{
		{"pulled", "127.0.0.1:5000/x/app:v1", []string{"127.0.0.1:5000/x/app@" + digestA}, "127.0.0.1:5000/x/app@" + digestA},
		{"docker hub short form", "docker.io/library/ubuntu:22.04", []string{"ubuntu@" + digestA}, "ubuntu@" + digestA},
		{"several repositories", "ghcr.io/org/app:1", []string{"quay.io/org/app@" + digestB, "ghcr.io/org/app@" + digestA},
			"ghcr.io/org/app@" + digestA},
		{"built on the host", "kiosc-testapp:abc", nil, "sha256:1d"},
		{"pulled under another name", "myapp:1", []string{"ghcr.io/org/app@" + digestA}, "sha256:1d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ImageDigest(tc.ref, &docker.ImageInfo{ID: "sha256:1d", RepoDigests: tc.digests}); got != tc.want {
				t.Errorf("ImageDigest = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUpdateComparison decides checks from what the container runs (or its next start would run) and the
// registry's digest of the tag.
func TestUpdateComparison(t *testing.T) {
	const img = "127.0.0.1:5000/x/app:v1"
	running := updateBasis{image: img, runs: true, present: true, digests: []string{digestA}, id: "127.0.0.1:5000/x/app@" + digestA}
	for _, tc := range []struct {
		name      string
		b         updateBasis
		remote    string // "" when the registry must not be asked
		status    store.UpdateStatus
		available bool
		words     string
	}{
		{"runs the registry's image", running, digestA, store.UpdateUpToDate, false, "up to date: it runs the registry's current image"},
		{"the tag moved", running, digestB, store.UpdateAvailable, true, "update available: the registry's " + img + " is now sha256:bbbbbbbbbbbb; the container runs sha256:aaaaaaaaaaaa"},
		{"one of several digests", updateBasis{image: img, runs: true, present: true, digests: []string{digestA, digestC}}, digestC,
			store.UpdateUpToDate, false, "up to date"},
		{"pinned by digest", updateBasis{image: "127.0.0.1:5000/x/app@" + digestA, runs: true, present: true, digests: []string{digestA}}, "",
			store.UpdatePinned, false, "no updates: the image is pinned by its digest (sha256:aaaaaaaaaaaa)"},
		{"pinned, pull always", updateBasis{image: "ubuntu@" + digestA, pullAlways: true}, "", store.UpdatePinned, false, "pinned"},
		{"built on the host, running", updateBasis{image: "kiosc-testapp:abc", runs: true, present: true, id: "sha256:1d"}, "",
			store.UpdateLocal, false, "cannot be checked: the image it runs (sha256:1d) was built or loaded on the Docker host"},
		{"built on the host, stopped", updateBasis{image: "kiosc-testapp:abc", present: true, id: "sha256:1d"}, "",
			store.UpdateLocal, false, "cannot be checked: the image kiosc-testapp:abc on the Docker host"},
		{"stopped, pull always", updateBasis{image: img, pullAlways: true}, "", store.UpdateUpToDate, false, "its next start pulls"},
		{"stopped, newer local image", updateBasis{image: img, present: true, digests: []string{digestB}}, digestB,
			store.UpdateUpToDate, false, "its next start runs the registry's current image"},
		{"stopped, older local image", updateBasis{image: img, present: true, digests: []string{digestA}}, digestB,
			store.UpdateAvailable, true, "its next start would run sha256:aaaaaaaaaaaa from the Docker host"},
		{"stopped, not on the host", updateBasis{image: img}, digestB, store.UpdateUpToDate, false, "is not on the Docker host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, decided := withoutRegistry(tc.b)
			if decided != (tc.remote == "") {
				t.Fatalf("decided without the registry: %v (%+v)", decided, out)
			}
			if !decided {
				out = compareDigests(tc.b, tc.remote)
				if want := "127.0.0.1:5000/x/app@" + tc.remote; out.digest != want {
					t.Errorf("available digest %q, want %q", out.digest, want)
				}
			}
			if out.status != tc.status || out.available != tc.available || !strings.Contains(out.message, tc.words) {
				t.Errorf("outcome %+v; want %s, available %v, message with %q", out, tc.status, tc.available, tc.words)
			}
		})
	}
}

func TestCheckFailureMessage(t *testing.T) {
	for engine, prefix := range map[string]string{
		"Error response from daemon: Head \"http://127.0.0.1:5000/v2/x/manifests/v1\": unauthorized: authentication required": "access denied: the registry 127.0.0.1:5000 refused the image",
		"Error response from daemon: manifest unknown":                                    "image not found:",
		"Error response from daemon: Get \"https://127.0.0.1:1/v2/\": connection refused": "registry unreachable:",
		"Error response from daemon: toomanyrequests: rate limit":                         "the registry 127.0.0.1:5000 did not tell the digest",
	} {
		msg := checkFailureMessage("127.0.0.1:5000/x:v1", errors.New(engine))
		if !strings.HasPrefix(msg, prefix) || strings.Contains(msg, "daemon") {
			t.Errorf("%q: message %q, want it to start %q without the engine's text", engine, msg, prefix)
		}
	}
}
