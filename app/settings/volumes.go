package settings

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Volume is a Docker named volume mounted into a container. A container-scope volume belongs to one container and
// lives as long as kiosc keeps it for that container; a project-scope volume is shared by every container of the
// project that mounts it by the same name. kiosc mounts named volumes only, never paths of the host.
type Volume struct {
	Name      string `json:"name"`
	MountPath string `json:"mount_path"`
	Scope     string `json:"scope"`
	ReadOnly  bool   `json:"read_only"`
}

// Volume scopes.
const (
	ScopeContainer = "container"
	ScopeProject   = "project"
)

// Bounds of the volume settings.
const (
	MaxVolumes         = 16
	MaxVolumeNameLen   = 63
	MaxMountPathLength = 255
)

// Volumes is the list of a container's volumes. No volumes is nil in memory and [] on the wire.
type Volumes []Volume

// MarshalJSON writes no volumes as [] rather than null.
func (v Volumes) MarshalJSON() ([]byte, error) {
	if v == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Volume(v))
}

// normalized returns the list with the default scope filled in, nil when empty.
func (v Volumes) normalized() Volumes {
	if len(v) == 0 {
		return nil
	}
	out := make(Volumes, len(v))
	for i, vol := range v {
		if vol.Scope == "" {
			vol.Scope = ScopeContainer
		}
		out[i] = vol
	}
	return out
}

// Find returns the volume named name.
func (v Volumes) Find(name string) (Volume, bool) {
	for _, vol := range v {
		if vol.Name == name {
			return vol, true
		}
	}
	return Volume{}, false
}

var volumeName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// ValidVolumeName reports whether name may name a volume: lower-case letters, digits, '_', '.' and '-', starting
// with a letter or digit, at most MaxVolumeNameLen characters.
func ValidVolumeName(name string) bool {
	return len(name) <= MaxVolumeNameLen && volumeName.MatchString(name)
}

// ReservedMountPaths are where no volume may be mounted (nor below): the kernel's and the image's system
// directories, and /kiosc, where kiosc mounts a container's command script.
var ReservedMountPaths = []string{"/bin", "/boot", "/dev", "/etc", "/kiosc", "/lib", "/lib32", "/lib64", "/libx32",
	"/proc", "/sbin", "/sys", "/usr"}

// mountPathError returns why p cannot be a mount path, or "".
func mountPathError(p string) string {
	switch {
	case p == "":
		return "required"
	case len(p) > MaxMountPathLength:
		return fmt.Sprintf("at most %d characters", MaxMountPathLength)
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "must not contain control characters"
	case !strings.HasPrefix(p, "/"):
		return "must be an absolute path (starting with /)"
	case path.Clean(p) != p:
		return "must be a clean path: no '..', '.', '//' or trailing '/'"
	case p == "/":
		return "cannot be the root directory"
	}
	for _, r := range ReservedMountPaths {
		if p == r || strings.HasPrefix(p, r+"/") {
			return fmt.Sprintf("%s is a system directory; choose another path (not under %s)", r, strings.Join(ReservedMountPaths, ", "))
		}
	}
	return ""
}

// validateVolumes checks the list into errs by field (volumes[0].name etc.).
func validateVolumes(errs map[string]string, vols Volumes) {
	if len(vols) > MaxVolumes {
		errs["volumes"] = fmt.Sprintf("at most %d volumes", MaxVolumes)
		return
	}
	names, paths := map[string]int{}, map[string]int{}
	for i, v := range vols {
		field := fmt.Sprintf("volumes[%d].", i)
		switch {
		case v.Name == "":
			errs[field+"name"] = "required"
		case !ValidVolumeName(v.Name):
			errs[field+"name"] = fmt.Sprintf("lower-case letters, digits, '_', '.' and '-', starting with a letter or digit, "+
				"at most %d characters", MaxVolumeNameLen)
		default:
			if j, dup := names[v.Name]; dup {
				errs[field+"name"] = fmt.Sprintf("volumes[%d] has the same name", j)
			} else {
				names[v.Name] = i
			}
		}
		if msg := mountPathError(v.MountPath); msg != "" {
			errs[field+"mount_path"] = msg
		} else if j, dup := paths[v.MountPath]; dup {
			errs[field+"mount_path"] = fmt.Sprintf("volumes[%d] is mounted there already", j)
		} else {
			paths[v.MountPath] = i
		}
		if v.Scope != "" && v.Scope != ScopeContainer && v.Scope != ScopeProject {
			errs[field+"scope"] = `must be "container" or "project"`
		}
	}
}

var userPart = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)$`)

// UserError returns why u cannot name the user a container runs as, or "" (empty is fine: the default). A user is
// uid[:gid], or a user (and group) name the image knows, in any combination.
func UserError(u string) string {
	if u == "" {
		return ""
	}
	const msg = "must be uid[:gid] (e.g. 1000:100) or a user name the image knows (e.g. jovyan or jovyan:users)"
	if len(u) > 65 {
		return msg
	}
	user, group, hasGroup := strings.Cut(u, ":")
	for i, part := range []string{user, group} {
		if i == 1 && !hasGroup {
			continue
		}
		if len(part) > 32 || !userPart.MatchString(part) {
			return msg
		}
		if part[0] >= '0' && part[0] <= '9' {
			if n, err := strconv.ParseUint(part, 10, 32); err != nil || n > 1<<31-1 {
				return "user and group IDs must be between 0 and 2147483647"
			}
		}
	}
	return ""
}
