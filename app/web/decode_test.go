package web

import "testing"

func TestAPIField(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"container_port":            "container_port",
		"Patch.container_port":      "container_port",
		"Outer.Patch.memory_limit":  "memory_limit",
		"environment.FOO":           "environment.FOO",
		"registry_auth.username":    "registry_auth.username",
		"Patch.environment.KIOSC_X": "environment.KIOSC_X",
	} {
		if got := apiField(in); got != want {
			t.Errorf("apiField(%q) = %q, want %q", in, got, want)
		}
	}
}
