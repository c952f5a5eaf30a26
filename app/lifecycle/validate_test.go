package lifecycle

import (
	"strings"
	"testing"
)

func TestValidImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	for _, ref := range []string{"nginx", "nginx:1.25", "library/nginx:latest", "ghcr.io/owner/app:v1", "localhost:5000/app",
		"registry.example.com:5000/x/y@" + digest, "jupyter/datascience-notebook:2023-10-20", "quay.io/a_b/c-d.e:x_Y.1",
		"nginx:1@" + digest, "[::1]:5000/app:1"} {
		if err := ValidImage(ref); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
	}
	for _, ref := range []string{"", "Nginx", "nginx:", "nginx:-1", "ngi nx", " nginx", "nginx@sha256:zz", "a//b", "-a",
		"a/B/c", "host:port/app", strings.Repeat("a", 600)} {
		if err := ValidImage(ref); err == nil {
			t.Errorf("%q accepted", ref)
		}
	}
}
