package lifecycle_test

import (
	"encoding/json"
	"testing"
)

func decode(t *testing.T, in any, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
