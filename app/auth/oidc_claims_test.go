package auth

import (
	"reflect"
	"testing"
)

func TestClaims(t *testing.T) {
	c := map[string]any{
		"preferred_username": " alice ",
		"groups":             []any{"a", "b", 3},
		"realm_access":       map[string]any{"roles": []any{"kiosc-admins"}},
		"csv":                "x, y z",
		"dotted.name":        "literal",
	}
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"groups", []string{"a", "b"}},
		{"realm_access.roles", []string{"kiosc-admins"}},
		{"csv", []string{"x", "y", "z"}},
		{"missing", nil},
		{"realm_access.missing", nil},
	} {
		t.Run(tc.key, func(t *testing.T) {
			v, _ := claim(c, tc.key)
			got := groups(v)
			if len(got) == 0 && len(tc.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("groups(%s) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
	if got := claimString(c, "preferred_username"); got != "alice" {
		t.Errorf("username %q", got)
	}
	if got := claimString(c, "dotted.name"); got != "literal" {
		t.Errorf("a claim whose name has a dot: %q", got)
	}
}
