package lifecycle_test

import (
	"encoding/json"
	osexec "os/exec"
	"strings"
	"testing"
)

// run runs a command and returns its trimmed output.
func run(name string, args ...string) (string, error) {
	out, err := osexec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

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
