package lifecycle

import (
	"reflect"
	"slices"
	"testing"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// TestContainerSpec converts records to Docker containers without an engine.
func TestContainerSpec(t *testing.T) {
	const id = "0123abcd-1111-2222-3333-444455556666"
	base, pub := "/containers/proxy/"+id+"/", "https://kiosc.example/containers/proxy/"+id+"/"
	labels := map[string]string{LabelManaged: "true", LabelContainer: id}
	record := func(edit func(c *settings.Container)) *store.Container {
		c := &store.Container{UUID: id, ProjectUUID: "p1", Container: settings.Container{Title: "My App: Jupyter!",
			Description: "d", Image: "jupyter/base:1", ContainerPort: 8888, Environment: map[string]string{}}}
		edit(&c.Container)
		return c
	}
	injected := []string{"CONTAINER_PORT=8888", "DESCRIPTION=d", "KIOSC_BASE_PATH=" + base, "KIOSC_CONTAINER_UUID=" + id,
		"KIOSC_PROJECT_UUID=p1", "KIOSC_PUBLIC_URL=" + pub, "TITLE=My App: Jupyter!"}
	env := func(extra ...string) []string { return slices.Sorted(slices.Values(append(extra, injected...))) }
	want := func(edit func(s *docker.ContainerSpec)) docker.ContainerSpec {
		s := docker.ContainerSpec{Name: "kiosc-0123abcd-my-app-jupyter", Image: "jupyter/base:1", Env: env(),
			Labels: labels, ContainerPort: 8888, CapDrop: []string{"ALL"}, CapAdd: Capabilities}
		edit(&s)
		return s
	}
	for _, tc := range []struct {
		name    string
		c       *store.Container
		secrets map[string]string
		limits  settings.Limits
		want    docker.ContainerSpec
		script  string
		err     bool
	}{
		{name: "the image's own command", c: record(func(*settings.Container) {}), want: want(func(*docker.ContainerSpec) {})},
		{name: "command words with placeholders", c: record(func(c *settings.Container) {
			c.Command = `jupyter lab --ServerApp.base_url=${KIOSC_BASE_PATH} --title 'a b' --p=__KIOSC_URL_PREFIX__`
		}), want: want(func(s *docker.ContainerSpec) {
			s.Cmd = []string{"jupyter", "lab", "--ServerApp.base_url=" + base, "--title", "a b",
				"--p=/containers/proxy/" + id}
		})},
		{name: "script", c: record(func(c *settings.Container) { c.Command = "#!/bin/sh\nexec serve ${KIOSC_CONTAINER_UUID}\n" }),
			script: "#!/bin/sh\nexec serve " + id + "\n", want: want(func(s *docker.ContainerSpec) {
				s.Binds = []string{"/data/scripts/" + id + ":" + ScriptPath + ":ro"}
				s.Entrypoint, s.Cmd = []string{ScriptPath}, []string{}
			})},
		{name: "environment and secrets expanded, injected variables win", c: record(func(c *settings.Container) {
			c.Environment = map[string]string{"URL": "${KIOSC_PUBLIC_URL}api", "TITLE": "mine"}
		}), secrets: map[string]string{"TOKEN": "s3cret", "CALLBACK": "${KIOSC_BASE_PATH}cb"},
			want: want(func(s *docker.ContainerSpec) {
				s.Env = env("URL="+pub+"api", "TOKEN=s3cret", "CALLBACK="+base+"cb")
			})},
		{name: "site defaults and maxima", c: record(func(c *settings.Container) { c.CPULimit, c.PidsLimit = 4, 100 }),
			limits: settings.Limits{MaxMemory: 256 << 20, MaxCPUs: 2, MaxPIDs: 300, DefaultMemory: 128 << 20},
			want:   want(func(s *docker.ContainerSpec) { s.Memory, s.CPUs, s.PidsLimit = 128<<20, 2, 100 })},
		{name: "own limits under the maxima", c: record(func(c *settings.Container) { c.MemoryLimit, c.CPULimit = 64<<20, 0.5 }),
			limits: settings.Limits{MaxMemory: 256 << 20, MaxCPUs: 2, MaxPIDs: 300},
			want:   want(func(s *docker.ContainerSpec) { s.Memory, s.CPUs, s.PidsLimit = 64<<20, 0.5, 300 })},
		{name: "unbalanced quote", c: record(func(c *settings.Container) { c.Command = "serve 'x" }), err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, script, err := ContainerSpec(tc.c, SpecOptions{BasePath: base, PublicURL: pub, Secrets: tc.secrets,
				Labels: labels, Limits: tc.limits, ScriptPath: "/data/scripts/" + id})
			if tc.err {
				if err == nil {
					t.Fatalf("no error; spec %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("spec\n%+v\nwant\n%+v", got, tc.want)
			}
			if script != tc.script {
				t.Errorf("script %q, want %q", script, tc.script)
			}
		})
	}
}

func TestContainerName(t *testing.T) {
	for title, want := range map[string]string{
		"":             "kiosc-0123abcd",
		"---":          "kiosc-0123abcd",
		"Ünïcode Name": "kiosc-0123abcd-n-code-name",
		"a very long title that goes on and on past forty characters": "kiosc-0123abcd-a-very-long-title-that-goes-on-and-on-pa",
	} {
		c := &store.Container{UUID: "0123abcd-1111", Container: settings.Container{Title: title}}
		if got := containerName(c); got != want {
			t.Errorf("containerName(%q) = %q, want %q", title, got, want)
		}
	}
}

func TestSiteLimit(t *testing.T) {
	for _, tc := range []struct {
		name              string
		v, def, max, want int64
	}{
		{"unset, nothing configured", 0, 0, 0, 0},
		{"unset takes the default", 0, 100, 500, 100},
		{"unset without default takes the maximum", 0, 0, 500, 500},
		{"unset with a default and no maximum", 0, 100, 0, 100},
		{"own value kept", 200, 100, 500, 200},
		{"own value below the default kept", 50, 100, 500, 50},
		{"own value above the maximum capped", 800, 100, 500, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := siteLimit(tc.v, tc.def, tc.max); got != tc.want {
				t.Errorf("siteLimit(%d, %d, %d) = %d, want %d", tc.v, tc.def, tc.max, got, tc.want)
			}
			if got := siteLimit(float64(tc.v)/100, float64(tc.def)/100, float64(tc.max)/100); got != float64(tc.want)/100 {
				t.Errorf("CPUs: got %g, want %g", got, float64(tc.want)/100)
			}
		})
	}
}
