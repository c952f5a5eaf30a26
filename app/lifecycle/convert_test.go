package lifecycle

import (
	"reflect"
	"slices"
	"strings"
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
		c := &store.Container{UUID: id, ProjectUUID: "p1", ProjectTitle: "Lab: RNA", CreatedBy: "alice", Container: settings.Container{Title: "My App: Jupyter!",
			Description: "d", Image: "jupyter/base:1", ContainerPort: 8888, Environment: map[string]string{}}}
		edit(&c.Container)
		return c
	}
	injected := []string{"CONTAINER_PORT=8888", "DESCRIPTION=d", "KIOSC_BASE_PATH=" + base, "KIOSC_CONTAINER_UUID=" + id,
		"KIOSC_PROJECT_UUID=p1", "KIOSC_PUBLIC_URL=" + pub, "TITLE=My App: Jupyter!", "KIOSC_OWNER=alice", "KIOSC_PROJECT=p1",
		"KIOSC_PROJECT_TITLE=Lab: RNA"}
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
		{name: "volumes of both scopes", c: record(func(c *settings.Container) {
			c.Volumes = settings.Volumes{{Name: "work", MountPath: "/home/jovyan/work", Scope: settings.ScopeContainer},
				{Name: "ref", MountPath: "/ref", Scope: settings.ScopeProject, ReadOnly: true}}
		}), want: want(func(s *docker.ContainerSpec) {
			s.Mounts = []docker.Mount{{Volume: "kiosc-inst-c-" + id + "-work", Target: "/home/jovyan/work"},
				{Volume: "kiosc-inst-p-p1-ref", Target: "/ref", ReadOnly: true}}
		})},
		{name: "own user over the site default", c: record(func(c *settings.Container) { c.User = "1000:100" }),
			limits: settings.Limits{DefaultUser: "jovyan"}, want: want(func(s *docker.ContainerSpec) { s.User = "1000:100" })},
		{name: "site default user", c: record(func(*settings.Container) {}), limits: settings.Limits{DefaultUser: "jovyan"},
			want: want(func(s *docker.ContainerSpec) { s.User = "jovyan" })},
		{name: "read-only root with a writable /tmp", c: record(func(c *settings.Container) { c.ReadOnlyRootfs = true }),
			want: want(func(s *docker.ContainerSpec) {
				s.ReadonlyRootfs, s.Tmpfs = true, map[string]string{"/tmp": TmpfsOptions}
			})},
		{name: "read-only root with a volume at /tmp", c: record(func(c *settings.Container) {
			c.ReadOnlyRootfs, c.Volumes = true, settings.Volumes{{Name: "tmp", MountPath: "/tmp", Scope: settings.ScopeContainer}}
		}), want: want(func(s *docker.ContainerSpec) {
			s.ReadonlyRootfs, s.Mounts = true, []docker.Mount{{Volume: "kiosc-inst-c-" + id + "-tmp", Target: "/tmp"}}
		})},
		{name: "unbalanced quote", c: record(func(c *settings.Container) { c.Command = "serve 'x" }), err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, script, err := ContainerSpec(tc.c, SpecOptions{BasePath: base, PublicURL: pub, Secrets: tc.secrets,
				Labels: labels, Limits: tc.limits, ScriptPath: "/data/scripts/" + id, InstanceID: "inst"})
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

// The Docker names of volumes never collide: not between scopes, projects, containers or instances, whatever the
// names; and the script's mount point is a path no volume may take.
func TestVolumeName(t *testing.T) {
	const c1, c2 = "0123abcd-1111-2222-3333-444455556666", "0123abcd-1111-2222-3333-777788889999"
	seen := map[string]string{}
	for _, tc := range []struct{ instance, project, container, name, scope string }{
		{"i1", "p1", c1, "data", settings.ScopeContainer},
		{"i1", "p1", c2, "data", settings.ScopeContainer},
		{"i2", "p1", c1, "data", settings.ScopeContainer},
		{"i1", "p1", c1, "data", settings.ScopeProject},
		{"i1", "p2", c1, "data", settings.ScopeProject},
		{"i1", "p1", c1, "c-" + c1 + "-data", settings.ScopeProject},
		{"i1", "p1", c1, "p-p1-data", settings.ScopeContainer},
	} {
		n := VolumeName(tc.instance, tc.project, tc.container, settings.Volume{Name: tc.name, Scope: tc.scope})
		if prev, dup := seen[n]; dup {
			t.Errorf("%+v and %s both give %s", tc, prev, n)
		}
		seen[n] = tc.name
	}
	if got := VolumeName("i1", "p1", c1, settings.Volume{Name: "work", Scope: settings.ScopeContainer}); got != "kiosc-i1-c-"+c1+"-work" {
		t.Errorf("container volume named %s", got)
	}
	if !slices.ContainsFunc(settings.ReservedMountPaths, func(r string) bool { return strings.HasPrefix(ScriptPath, r+"/") }) {
		t.Errorf("no volume may be mounted over %s, but it is not under a reserved path %v", ScriptPath, settings.ReservedMountPaths)
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
