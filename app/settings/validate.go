package settings

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Bounds of the validated fields.
const (
	MaxCommandBytes = 64 << 10
	MaxDuration     = 366 * 24 * 3600 // seconds
	MinMemory       = 6 << 20
	MaxRetriesLimit = 10
)

var (
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	pathLike     = regexp.MustCompile(`^[A-Za-z0-9._~!$&'()*+,;=:@%/?#\[\]-]*$`)
	repoPart     = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
	imageRepo    = regexp.MustCompile(`^` + repoPart + `(?:/` + repoPart + `)*$`)
	imageTag     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	imageDigest  = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$`)
	registryHost = regexp.MustCompile(`^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$`)
)

// ValidImage checks a Docker reference `[registry[:port]/]name[:tag][@digest]` with a lowercase repository.
func ValidImage(ref string) error {
	if ref == "" {
		return fmt.Errorf("required")
	}
	if len(ref) > 512 || strings.TrimSpace(ref) != ref {
		return fmt.Errorf("not a valid image reference")
	}
	rest := ref
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		if !imageDigest.MatchString(rest[i+1:]) {
			return fmt.Errorf("invalid digest %q", rest[i+1:])
		}
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "/") {
		if !imageTag.MatchString(rest[i+1:]) {
			return fmt.Errorf("invalid tag %q", rest[i+1:])
		}
		rest = rest[:i]
	}
	if first, path, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:[") || first == "localhost") {
		if !registryHost.MatchString(first) {
			return fmt.Errorf("invalid registry %q", first)
		}
		rest = path
	}
	if !imageRepo.MatchString(rest) {
		return fmt.Errorf("invalid repository name %q (lowercase letters, digits and separators)", rest)
	}
	return nil
}

// injected names the user may not set.
func reservedEnv(name string) bool {
	return strings.HasPrefix(name, "KIOSC_")
}

// Limits are the site's rules for container configurations.
type Limits struct {
	// Maxima (0: none).
	MaxMemory int64
	MaxCPUs   float64
	MaxPIDs   int64
	// Defaults for containers that set none (0: the maximum, or none), at most the maxima.
	DefaultMemory int64
	DefaultCPUs   float64
	DefaultPIDs   int64
	// AllowedRegistries are the registry hosts images may come from (empty: any), see ImageRegistry.
	AllowedRegistries []string
	// DefaultUser is who containers that name no user run as (empty: the image's user).
	DefaultUser string
	// Sharing says whether link and public access may be chosen (the site setting, read at each validation).
	Sharing Sharing
}

// ImageRegistry returns the registry host of an image reference, lower case. Docker Hub has several names that
// all become docker.io, and so do references without a registry (ubuntu, library/ubuntu, and images built locally
// such as kiosc-testapp:1), because that is where Docker would pull them from.
func ImageRegistry(ref string) string {
	if first, _, ok := strings.Cut(ref, "/"); ok && (strings.ContainsAny(first, ".:[") || first == "localhost") {
		return NormalizeRegistry(first)
	}
	return dockerHub
}

// dockerHub is the canonical name of Docker Hub's registry.
const dockerHub = "docker.io"

// NormalizeRegistry writes a registry host the way ImageRegistry returns it.
func NormalizeRegistry(host string) string {
	switch h := strings.ToLower(strings.TrimSpace(host)); h {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return dockerHub
	default:
		return h
	}
}

// NormalizeRegistries normalizes a list of registry hosts (see NormalizeRegistry), dropping empty and repeated ones.
func NormalizeRegistries(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if n := NormalizeRegistry(h); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// RegistryError returns "" when images from the registry of ref may run on this site, else why not, naming the
// allowed registries.
func (lim Limits) RegistryError(ref string) string {
	allowed := NormalizeRegistries(lim.AllowedRegistries)
	if len(allowed) == 0 {
		return ""
	}
	reg := ImageRegistry(ref)
	if slices.Contains(allowed, reg) {
		return ""
	}
	return fmt.Sprintf("images from %s are not allowed on this site; allowed registries: %s", reg, strings.Join(allowed, ", "))
}

// Validate checks every present field against the site's limits, returning errors by field name (empty when
// valid). create requires image and title. Containers and templates share these rules, limits and messages.
func (in *Patch) Validate(create bool, lim Limits) map[string]string {
	errs := map[string]string{}
	if create && in.Title == nil {
		errs["title"] = "required"
	}
	if in.Title != nil {
		switch t := strings.TrimSpace(*in.Title); {
		case t == "":
			errs["title"] = "required"
		case len(t) > 255:
			errs["title"] = "at most 255 characters"
		}
	}
	if in.Description != nil && len(*in.Description) > 64<<10 {
		errs["description"] = "at most 64 KiB"
	}
	if create && in.Image == nil {
		errs["image"] = "required"
	}
	if in.Image != nil {
		if err := ValidImage(*in.Image); err != nil {
			errs["image"] = err.Error()
		} else if msg := lim.RegistryError(*in.Image); msg != "" {
			errs["image"] = msg
		}
	}
	if in.Command != nil {
		switch {
		case len(*in.Command) > MaxCommandBytes:
			errs["command"] = "at most 64 KiB"
		case IsScript(*in.Command):
		default:
			if _, err := SplitCommand(*in.Command); err != nil {
				errs["command"] = err.Error()
			}
		}
	}
	ValidateEnv(errs, "environment", in.Environment, false)
	if in.ContainerPort != nil && (*in.ContainerPort < 1 || *in.ContainerPort > 65535) {
		errs["container_port"] = "must be between 1 and 65535"
	}
	if in.ContainerPath != nil {
		p := *in.ContainerPath
		if len(p) > 2048 || !pathLike.MatchString(p) || strings.Contains(p, "://") || slices.Contains(strings.Split(p, "/"), "..") {
			errs["container_path"] = "must be a URL path without spaces or '..'"
		}
	}
	if in.HeartbeatURL != nil && *in.HeartbeatURL != "" {
		h := *in.HeartbeatURL
		if strings.Contains(h, "://") {
			u, err := url.Parse(h)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs["heartbeat_url"] = "must be a path or an http(s) URL"
			}
		} else if len(h) > 2048 || !pathLike.MatchString(h) || slices.Contains(strings.Split(h, "/"), "..") {
			errs["heartbeat_url"] = "must be a path or an http(s) URL"
		}
	}
	for _, d := range []struct {
		name string
		v    *int64
	}{{"startup_timeout", in.StartupTimeout}, {"max_idle", in.MaxIdle}, {"max_lifetime", in.MaxLifetime}} {
		if d.v != nil && (*d.v < 0 || *d.v > MaxDuration) {
			errs[d.name] = fmt.Sprintf("must be between 0 and %d seconds", MaxDuration)
		}
	}
	if in.MemoryLimit != nil {
		switch m := *in.MemoryLimit; {
		case m < 0 || (m > 0 && m < MinMemory):
			errs["memory_limit"] = "must be 0 (site default) or at least 6 MiB (6291456 bytes)"
		case lim.MaxMemory > 0 && m > lim.MaxMemory:
			errs["memory_limit"] = fmt.Sprintf("exceeds the site maximum of %d bytes", lim.MaxMemory)
		}
	}
	if in.CPULimit != nil {
		switch c := *in.CPULimit; {
		case c < 0 || c > 1024:
			errs["cpu_limit"] = "must be 0 (site default) or a positive number of CPUs"
		case lim.MaxCPUs > 0 && c > lim.MaxCPUs:
			errs["cpu_limit"] = fmt.Sprintf("exceeds the site maximum of %g CPUs", lim.MaxCPUs)
		}
	}
	if in.PidsLimit != nil {
		switch p := *in.PidsLimit; {
		case p < 0:
			errs["pids_limit"] = "must be 0 (site default) or at least 1"
		case lim.MaxPIDs > 0 && p > lim.MaxPIDs:
			errs["pids_limit"] = fmt.Sprintf("exceeds the site maximum of %d", lim.MaxPIDs)
		}
	}
	if in.MaxRetries != nil && (*in.MaxRetries < 0 || *in.MaxRetries > MaxRetriesLimit) {
		errs["max_retries"] = fmt.Sprintf("must be between 0 and %d", MaxRetriesLimit)
	}
	if in.PullPolicy != nil && *in.PullPolicy != PullIfMissing && *in.PullPolicy != PullAlways {
		errs["pull_policy"] = `must be "if-missing" or "always"`
	}
	if in.Volumes != nil {
		validateVolumes(errs, *in.Volumes)
	}
	if in.User != nil {
		if msg := UserError(*in.User); msg != "" {
			errs["user"] = msg
		}
	}
	if in.Access != nil {
		if msg := lim.Sharing.accessError(*in.Access); msg != "" {
			errs["access"] = msg
		}
	}
	if in.Placement != nil {
		for _, c := range SplitPlacement(*in.Placement) {
			if msg := PlacementError(c); msg != "" {
				errs["placement"] = c + ": " + msg
				break
			}
		}
	}
	return errs
}

// ValidateEnv checks the variables of an environment field into errs, by field.name: names of letters, digits and
// _, none of kiosc's own KIOSC_* names, and string values (or null where nullOK, which removes a secret).
func ValidateEnv(errs map[string]string, field string, m map[string]any, nullOK bool) {
	for k, v := range m {
		switch {
		case !envName.MatchString(k):
			errs[field+"."+k] = "invalid variable name: letters, digits and _, not starting with a digit"
		case reservedEnv(k):
			errs[field+"."+k] = "KIOSC_* variables are set by kiosc"
		default:
			if _, ok := v.(string); !ok && (!nullOK || v != nil) {
				errs[field+"."+k] = "must be a string"
			}
		}
	}
}
