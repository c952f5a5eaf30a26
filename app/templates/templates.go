// Package templates holds what site and project templates do with the container settings they carry (spec section
// 10): the field-by-field comparison with an upstream template, and the choice of fields to copy. A template's
// settings are a settings.Container, validated like a container's. Secrets and registry credentials are not
// settings, so nothing here can ever copy them.
package templates

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bihealth/kiosc/app/settings"
)

// Fields lists the settings of a template by API name, in display order.
var Fields = settings.Fields()

// DiffFields are the fields compared with the upstream template and offered for apply: every field but the title,
// which names the entity itself.
var DiffFields = Fields[1:]

// FieldDiff is one field that differs from the upstream template.
type FieldDiff struct {
	Field    string          `json:"field"`
	Current  json.RawMessage `json:"current"`
	Upstream json.RawMessage `json:"upstream"`
}

// Diff lists, in the order of DiffFields, the fields whose values differ between current and upstream.
func Diff(current, upstream settings.Container) []FieldDiff {
	a, b := current.Values(), upstream.Values()
	out := []FieldDiff{}
	for _, f := range DiffFields {
		if string(a[f]) != string(b[f]) {
			out = append(out, FieldDiff{Field: f, Current: a[f], Upstream: b[f]})
		}
	}
	return out
}

// CheckFields validates the field names of an apply request: at least one, each one of DiffFields. It returns the
// problem, or "" when the names are fine.
func CheckFields(fields []string) string {
	if len(fields) == 0 {
		return "name at least one field: " + strings.Join(DiffFields, ", ")
	}
	var unknown []string
	for _, f := range fields {
		if !slices.Contains(DiffFields, f) {
			unknown = append(unknown, f)
		}
	}
	if len(unknown) > 0 {
		return fmt.Sprintf("unknown field %s (known: %s)", strings.Join(unknown, ", "), strings.Join(DiffFields, ", "))
	}
	return ""
}
