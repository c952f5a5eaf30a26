package settings

import (
	"reflect"
	"testing"
)

func TestPlacement(t *testing.T) {
	if got, want := SplitPlacement(" node.labels.gpu==true ,, node.role != manager "), []string{"node.labels.gpu==true", "node.role != manager"}; !reflect.DeepEqual(got, want) {
		t.Errorf("split: %q, want %q", got, want)
	}
	for _, ok := range []string{"node.labels.gpu==true", "node.hostname!=db-1", "node.role==worker", "node.platform.arch==x86_64",
		"engine.labels.zone==a", "node.id==abc123"} {
		if msg := PlacementError(ok); msg != "" {
			t.Errorf("%q refused: %s", ok, msg)
		}
	}
	for _, bad := range []string{"gpu==true", "node.labels.gpu", "node.labels.gpu=true", "node.memory>=4g", "node.labels.a==b c", ""} {
		if PlacementError(bad) == "" {
			t.Errorf("%q accepted", bad)
		}
	}
	p := &Patch{Placement: ptrTo("node.labels.gpu==true, nonsense")}
	if errs := p.Validate(false, Limits{}); errs["placement"] == "" {
		t.Errorf("a bad constraint passes validation: %v", errs)
	}
}

func ptrTo[T any](v T) *T { return &v }
