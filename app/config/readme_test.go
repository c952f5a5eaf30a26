package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table must list every option with its flag and default.
func TestREADMEListsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, o := range Options() {
		row := "| `" + o.Env + "` | `--" + FlagName(o.Env) + "` |"
		if !strings.Contains(readme, row) {
			t.Errorf("README.md has no row starting %q", row)
		}
		if o.Default != "" && !strings.Contains(readme, row+" `"+o.Default+"` |") {
			t.Errorf("README.md row for %s does not show the default %q", o.Env, o.Default)
		}
	}
}
