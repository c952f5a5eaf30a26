package settings

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestValidateVolumes(t *testing.T) {
	vol := func(name, path, scope string) Volume { return Volume{Name: name, MountPath: path, Scope: scope} }
	for _, tc := range []struct {
		name string
		vols Volumes
		want map[string]string // field → a part of its message
	}{
		{"none", Volumes{}, nil},
		{"container and project scope", Volumes{vol("data", "/data", ""), vol("ref", "/home/jovyan/ref", ScopeProject),
			vol("x_1.y-z", "/srv/a b", ScopeContainer)}, nil},
		{"nested mounts", Volumes{vol("a", "/data", ""), vol("b", "/data/sub", "")}, nil},
		{"missing name and path", Volumes{{}}, map[string]string{"volumes[0].name": "required", "volumes[0].mount_path": "required"}},
		{"bad name", Volumes{vol("Data", "/data", "")}, map[string]string{"volumes[0].name": "lower-case"}},
		{"name starting with a dot", Volumes{vol(".x", "/data", "")}, map[string]string{"volumes[0].name": "starting with"}},
		{"long name", Volumes{vol(strings.Repeat("a", 64), "/data", "")}, map[string]string{"volumes[0].name": "at most 63"}},
		{"relative path", Volumes{vol("a", "data", "")}, map[string]string{"volumes[0].mount_path": "absolute"}},
		{"root", Volumes{vol("a", "/", "")}, map[string]string{"volumes[0].mount_path": "root directory"}},
		{"dot dot", Volumes{vol("a", "/data/../etc", "")}, map[string]string{"volumes[0].mount_path": "clean"}},
		{"trailing slash", Volumes{vol("a", "/data/", "")}, map[string]string{"volumes[0].mount_path": "clean"}},
		{"double slash", Volumes{vol("a", "//data", "")}, map[string]string{"volumes[0].mount_path": "clean"}},
		{"control character", Volumes{vol("a", "/da\nta", "")}, map[string]string{"volumes[0].mount_path": "control"}},
		{"proc", Volumes{vol("a", "/proc", "")}, map[string]string{"volumes[0].mount_path": "system directory"}},
		{"under etc", Volumes{vol("a", "/etc/app", "")}, map[string]string{"volumes[0].mount_path": "system directory"}},
		{"usr", Volumes{vol("a", "/usr/local", "")}, map[string]string{"volumes[0].mount_path": "system directory"}},
		{"the script path", Volumes{vol("a", "/kiosc", "")}, map[string]string{"volumes[0].mount_path": "system directory"}},
		{"similar to a system path", Volumes{vol("a", "/etcetera", ""), vol("b", "/devdata", "")}, nil},
		{"bad scope", Volumes{vol("a", "/a", "site")}, map[string]string{"volumes[0].scope": `"container" or "project"`}},
		{"duplicate name", Volumes{vol("a", "/a", ""), vol("a", "/b", ScopeProject)},
			map[string]string{"volumes[1].name": "volumes[0] has the same name"}},
		{"duplicate path", Volumes{vol("a", "/a", ""), vol("b", "/c", ""), vol("c", "/a", "")},
			map[string]string{"volumes[2].mount_path": "volumes[0] is mounted there"}},
		{"too many", func() Volumes {
			var v Volumes
			for i := range MaxVolumes + 1 {
				v = append(v, vol(fmt.Sprint("v", i), fmt.Sprint("/v", i), ""))
			}
			return v
		}(), map[string]string{"volumes": "at most 16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := (&Patch{Volumes: &tc.vols}).Validate(false, Limits{})
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %v", errs, tc.want)
			}
			for f, part := range tc.want {
				if !strings.Contains(errs[f], part) {
					t.Errorf("%s: %q, want it to say %q", f, errs[f], part)
				}
			}
		})
	}
}

func TestUserError(t *testing.T) {
	for _, u := range []string{"", "1000", "1000:100", "0:0", "jovyan", "jovyan:users", "rstudio:1000", "1000:staff",
		"_apt", "www-data", "svc.user", "machine$", "2147483647"} {
		if msg := UserError(u); msg != "" {
			t.Errorf("%q refused: %s", u, msg)
		}
	}
	for _, u := range []string{"1000:", ":100", "a:b:c", "-x", "us er", "a/b", "1000x", "2147483648", "99999999999",
		strings.Repeat("a", 33), "root;id"} {
		if UserError(u) == "" {
			t.Errorf("%q accepted", u)
		}
		user := u
		if errs := (&Patch{User: &user}).Validate(false, Limits{}); errs["user"] == "" {
			t.Errorf("Validate accepted user %q", u)
		}
	}
}

// No volumes is one thing: nil in memory, [] on the wire; Apply fills in the default scope.
func TestVolumesApplyAndRender(t *testing.T) {
	if v := (Container{}).Values(); string(v["volumes"]) != "[]" {
		t.Errorf("nil volumes render as %s", v["volumes"])
	}
	var p Patch
	if err := json.Unmarshal([]byte(`{"volumes":[{"name":"data","mount_path":"/data"},
		{"name":"ref","mount_path":"/ref","scope":"project","read_only":true}],"user":"1000:100","read_only_rootfs":true}`), &p); err != nil {
		t.Fatal(err)
	}
	var c Container
	p.Apply(&c)
	want := Volumes{{Name: "data", MountPath: "/data", Scope: ScopeContainer}, {Name: "ref", MountPath: "/ref", Scope: ScopeProject, ReadOnly: true}}
	if !reflect.DeepEqual(c.Volumes, want) || c.User != "1000:100" || !c.ReadOnlyRootfs {
		t.Errorf("applied %+v", c)
	}
	if v, ok := c.Volumes.Find("ref"); !ok || v.MountPath != "/ref" {
		t.Errorf("Find(ref) = %+v, %v", v, ok)
	}
	(&Patch{Volumes: &Volumes{}}).Apply(&c)
	if c.Volumes != nil {
		t.Errorf("an empty list leaves %#v", c.Volumes)
	}
	b, _ := json.Marshal(c)
	if !strings.Contains(string(b), `"volumes":[]`) {
		t.Errorf("marshalled %s", b)
	}
	// An unknown field of a volume is refused like any other unknown field.
	dec := json.NewDecoder(strings.NewReader(`{"volumes":[{"name":"a","mount_path":"/a","size":1}]}`))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&Patch{}); err == nil {
		t.Error("unknown volume field accepted")
	}
}
