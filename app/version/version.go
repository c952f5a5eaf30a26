// Package version holds build information stamped in by the linker.
package version

import "fmt"

// These are set with -ldflags "-X github.com/bihealth/kiosc/app/version.Version=...".
// They are variables only because the linker can only stamp variables; nothing assigns them at run time.
var (
	Version = "dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// String renders the build information on one line.
func String() string {
	return fmt.Sprintf("kiosc %s (commit %s, built %s)", Version, Commit, Date)
}
