package settings

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// Apply and Fill pair the fields of Patch and Container by name, so the two must list the same settings in the
// same order, with the same JSON names, each Patch field a pointer to its Container field's type (the environment
// excepted, whose values Validate checks).
func TestPatchMatchesContainer(t *testing.T) {
	ct, pt := reflect.TypeFor[Container](), reflect.TypeFor[Patch]()
	if ct.NumField() != pt.NumField() {
		t.Fatalf("Container has %d fields, Patch %d", ct.NumField(), pt.NumField())
	}
	for i := range ct.NumField() {
		c, p := ct.Field(i), pt.Field(i)
		if c.Name != p.Name || c.Tag.Get("json") != p.Tag.Get("json") {
			t.Errorf("field %d: Container.%s %q, Patch.%s %q", i, c.Name, c.Tag.Get("json"), p.Name, p.Tag.Get("json"))
		}
		switch {
		case c.Name == "Environment":
			if p.Type != reflect.TypeFor[map[string]any]() {
				t.Errorf("Patch.Environment is %s", p.Type)
			}
		case p.Type.Kind() != reflect.Pointer || p.Type.Elem() != c.Type:
			t.Errorf("Patch.%s is %s, want *%s", p.Name, p.Type, c.Type)
		}
	}
	if got := Fields(); got[0] != "title" || !slices.Contains(got, "pull_policy") || len(got) != ct.NumField() {
		t.Errorf("Fields() = %v", got)
	}
}

func TestApply(t *testing.T) {
	c := Defaults()
	c.Environment = map[string]string{"OLD": "1"}
	c.Image = "nginx:1"
	var p Patch
	if err := json.Unmarshal([]byte(`{"title":"  App  ","container_path":"/app/","environment":{"A":"x"},
		"memory_limit":1073741824,"cpu_limit":1.5,"strip_prefix":false,"max_retries":2}`), &p); err != nil {
		t.Fatal(err)
	}
	p.Apply(&c)
	want := Container{Title: "App", Image: "nginx:1", Environment: map[string]string{"A": "x"}, ContainerPort: 80,
		ContainerPath: "app/", MemoryLimit: 1 << 30, CPULimit: 1.5, MaxRetries: 2, PullPolicy: PullIfMissing, Access: AccessProject}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("applied\n%+v\nwant\n%+v", c, want)
	}
	(&Patch{}).Apply(&c)
	if !reflect.DeepEqual(c, want) {
		t.Errorf("an empty patch changed %+v", c)
	}
}

func TestPickAndPatchOf(t *testing.T) {
	c := Container{Title: "T", Image: "nginx:1", Environment: map[string]string{"A": "1"}, ContainerPort: 81,
		StripPrefix: true, CPULimit: 0.5, PullPolicy: PullAlways}
	p := Pick(c, []string{"image", "strip_prefix", "no_such_field"})
	if p.Image == nil || *p.Image != "nginx:1" || p.StripPrefix == nil || !*p.StripPrefix || p.Title != nil ||
		p.Environment != nil || p.CPULimit != nil {
		t.Errorf("picked %+v", p)
	}
	var copied Container
	PatchOf(c).Apply(&copied)
	if !reflect.DeepEqual(copied, c) {
		t.Errorf("copy %+v, want %+v", copied, c)
	}
	if v := (Container{}).Values(); string(v["environment"]) != "{}" {
		t.Errorf("nil environment renders as %s", v["environment"])
	}
}
