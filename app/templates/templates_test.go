package templates_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/templates"
)

func ptr[T any](v T) *T { return &v }

func TestDiffAndApply(t *testing.T) {
	up := &store.Template{Container: settings.Container{Title: "Site", Image: "nginx:2",
		Environment: map[string]string{"A": "1", "B": "2"}, ContainerPort: 8080, StripPrefix: true, MemoryLimit: 1 << 30,
		PullPolicy: "if-missing"}}
	cur := &store.Container{Container: settings.Container{Title: "Mine", Image: "nginx:1",
		Environment: map[string]string{"B": "2", "A": "1"}, ContainerPort: 8080, StripPrefix: false, MemoryLimit: 1 << 30,
		PullPolicy: "if-missing"}, SecretEnvKeys: []string{"S"}}

	diff := templates.Diff(cur.Container, up.Container)
	var names []string
	for _, d := range diff {
		names = append(names, d.Field)
	}
	if strings.Join(names, ",") != "image,strip_prefix" {
		t.Fatalf("diff fields %v (title is never compared, equal maps are equal)", names)
	}
	if string(diff[0].Current) != `"nginx:1"` || string(diff[0].Upstream) != `"nginx:2"` || string(diff[1].Upstream) != "true" {
		t.Errorf("diff values %s %s %s", diff[0].Current, diff[0].Upstream, diff[1].Upstream)
	}

	in := settings.Pick(up.Container, []string{"image", "environment"})
	if in.Image == nil || *in.Image != "nginx:2" || in.Environment["A"] != "1" || in.StripPrefix != nil || in.Title != nil {
		t.Errorf("apply input %+v", in)
	}
	if errs := in.Validate(false, settings.Limits{}); len(errs) > 0 {
		t.Errorf("applied input invalid: %v", errs)
	}
}

func TestCheckFields(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		want   string
	}{
		{"ok", []string{"image", "max_idle"}, ""},
		{"empty", nil, "at least one"},
		{"unknown", []string{"image", "secret_environment"}, "unknown field secret_environment"},
		{"title", []string{"title"}, "unknown field title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := templates.CheckFields(tc.fields)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("CheckFields(%v) = %q, want %q", tc.fields, got, tc.want)
			}
		})
	}
}

func TestValidateSharesContainerRules(t *testing.T) {
	var in settings.Patch
	if err := json.Unmarshal([]byte(`{"image":"Bad Image","container_port":0,"environment":{"KIOSC_X":"1"},
		"memory_limit":4294967296}`), &in); err != nil {
		t.Fatal(err)
	}
	errs := in.Validate(true, settings.Limits{MaxMemory: 1 << 30})
	want := (&lifecycle.Input{Patch: settings.Patch{Image: in.Image, ContainerPort: in.ContainerPort,
		Environment: in.Environment, MemoryLimit: in.MemoryLimit}}).Validate(true, settings.Limits{MaxMemory: 1 << 30})
	for _, f := range []string{"title", "image", "container_port", "environment.KIOSC_X", "memory_limit"} {
		if errs[f] == "" || errs[f] != want[f] {
			t.Errorf("%s: %q, container rule says %q", f, errs[f], want[f])
		}
	}
}

func TestFillAndApply(t *testing.T) {
	c := settings.Container{Title: "T", Image: "nginx:1", Command: "run", ContainerPort: 81, ContainerPath: "app/",
		StripPrefix: true, CPULimit: 0.5, PullPolicy: "always", Environment: map[string]string{"A": "1"}}
	in := &lifecycle.Input{Patch: settings.Patch{Title: ptr("mine"), ContainerPort: ptr(9000)}}
	in.Fill(c)
	if *in.Title != "mine" || *in.ContainerPort != 9000 || *in.Image != "nginx:1" || *in.Command != "run" ||
		*in.CPULimit != 0.5 || *in.PullPolicy != "always" || in.Environment["A"] != "1" || !*in.StripPrefix {
		t.Errorf("filled %+v", in)
	}
	tpl := &store.Template{}
	settings.PatchOf(c).Apply(&tpl.Container)
	if tpl.Title != "T" || len(templates.Diff(tpl.Container, c)) != 0 {
		t.Errorf("copy differs: %+v", tpl)
	}
}
