package settings

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

func TestImageRegistry(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"ubuntu", "docker.io"},
		{"ubuntu:24.04", "docker.io"},
		{"library/ubuntu", "docker.io"},
		{"jupyter/datascience-notebook:2023-10-20", "docker.io"},
		{"kiosc-testapp:0123456789abcdef", "docker.io"},
		{"docker.io/library/ubuntu", "docker.io"},
		{"index.docker.io/library/ubuntu", "docker.io"},
		{"registry-1.docker.io/rocker/shiny:4", "docker.io"},
		{"ghcr.io/owner/app:v1", "ghcr.io"},
		{"Registry.Example.org:5000/x/y", "registry.example.org:5000"},
		{"registry.example.org/x", "registry.example.org"},
		{"localhost/x", "localhost"},
		{"localhost:5000/x", "localhost:5000"},
		{"[::1]:5000/app:1", "[::1]:5000"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			if got := ImageRegistry(tc.ref); got != tc.want {
				t.Errorf("ImageRegistry(%q) = %q, want %q", tc.ref, got, tc.want)
			}
		})
	}
}

func TestRegistryAllowed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		ref     string
		ok      bool
	}{
		{"empty list allows any", nil, "quay.io/x/y", true},
		{"hub by short name", []string{"docker.io"}, "ubuntu", true},
		{"hub by library name", []string{"docker.io"}, "library/ubuntu:24.04", true},
		{"local image without registry", []string{"docker.io"}, "kiosc-testapp:1", true},
		{"hub allowed under another name", []string{"index.docker.io"}, "docker.io/rocker/shiny", true},
		{"hub endpoint name", []string{"registry-1.docker.io"}, "jupyter/base-notebook", true},
		{"other registry listed", []string{"docker.io", "ghcr.io"}, "ghcr.io/owner/app:1", true},
		{"case of the allowed entry", []string{"GHCR.io"}, "ghcr.io/owner/app:1", true},
		{"registry with port", []string{"registry.example.org:5000"}, "registry.example.org:5000/x:1", true},
		{"other registry refused", []string{"docker.io"}, "ghcr.io/owner/app:1", false},
		{"port must match", []string{"registry.example.org:5000"}, "registry.example.org/x:1", false},
		{"hub refused", []string{"ghcr.io"}, "ubuntu", false},
		{"local image counts as hub", []string{"ghcr.io"}, "kiosc-testapp:1", false},
		{"internal host and port", []string{"docker.io"}, "10.0.0.5:22/x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := Limits{AllowedRegistries: tc.allowed}
			msg := lim.RegistryError(tc.ref)
			if (msg == "") != tc.ok {
				t.Fatalf("RegistryError(%q) with %v = %q, want allowed=%v", tc.ref, tc.allowed, msg, tc.ok)
			}
			// Validation refuses the same images, with a field error on image naming the allowed registries.
			errs := (&Patch{Image: &tc.ref}).Validate(false, lim)
			if tc.ok != (errs["image"] == "") {
				t.Errorf("Validate: %v", errs)
			}
			if !tc.ok && (!strings.Contains(errs["image"], ImageRegistry(tc.ref)) ||
				!strings.Contains(errs["image"], NormalizeRegistry(tc.allowed[0]))) {
				t.Errorf("message %q names neither the registry nor the allowed ones", errs["image"])
			}
		})
	}
}
