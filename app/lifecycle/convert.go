package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// SpecOptions is what the conversion of a container record into a Docker container needs besides the record: the
// values the manager resolves (the app's public path, the decrypted secrets) and the site's rules.
type SpecOptions struct {
	BasePath  string // the app's public path prefix, with trailing slash
	PublicURL string
	// Secrets are the decrypted secret environment variables.
	Secrets map[string]string
	Labels  map[string]string
	Limits  settings.Limits
	// ScriptPath is where a "#!" command is written on the host; it is mounted read-only at ScriptPath.
	ScriptPath string
	// InstanceID names the Docker volumes of this kiosc instance (see VolumeName).
	InstanceID string
}

// ContainerSpec converts a container record into its Docker container: name, image, labels, environment with the
// injected variables (the app's paths, the container, its project and its owner) and the placeholders expanded, command or script, limits (site defaults, capped by the site
// maxima), capabilities, the named volumes, the user (the site default when it names none) and a read-only root
// file system with a writable /tmp. It is a pure function: the caller writes the returned script (non-empty for a "#!"
// command) to o.ScriptPath and chooses the network.
func ContainerSpec(c *store.Container, o SpecOptions) (spec docker.ContainerSpec, script string, err error) {
	ph := Placeholders{BasePath: o.BasePath, PublicURL: o.PublicURL, ContainerUUID: c.UUID}
	env := map[string]string{}
	for k, v := range c.Environment {
		env[k] = ph.Expand(v)
	}
	for k, v := range o.Secrets {
		env[k] = ph.Expand(v)
	}
	for k, v := range map[string]string{"KIOSC_BASE_PATH": o.BasePath, "KIOSC_PUBLIC_URL": o.PublicURL,
		"KIOSC_CONTAINER_UUID": c.UUID, "KIOSC_PROJECT_UUID": c.ProjectUUID, "KIOSC_PROJECT": c.ProjectUUID,
		"KIOSC_PROJECT_TITLE": c.ProjectTitle, "KIOSC_OWNER": c.CreatedBy, "TITLE": c.Title,
		"DESCRIPTION": c.Description, "CONTAINER_PORT": strconv.Itoa(c.ContainerPort)} {
		env[k] = v
	}
	s := docker.ContainerSpec{Name: containerName(c), Image: c.Image, Labels: o.Labels, ContainerPort: c.ContainerPort}
	for k, v := range env {
		s.Env = append(s.Env, k+"="+v)
	}
	slices.Sort(s.Env)
	switch {
	case settings.IsScript(c.Command):
		script = ph.Expand(c.Command)
		s.Binds = []string{o.ScriptPath + ":" + ScriptPath + ":ro"}
		s.Entrypoint = []string{ScriptPath}
		s.Cmd = []string{}
	case strings.TrimSpace(c.Command) != "":
		words, err := settings.SplitCommand(c.Command)
		if err != nil {
			return s, "", fmt.Errorf("command: %w", err)
		}
		for i := range words {
			words[i] = ph.Expand(words[i])
		}
		s.Cmd = words
	}
	lim := o.Limits
	s.Memory = siteLimit(c.MemoryLimit, lim.DefaultMemory, lim.MaxMemory)
	s.PidsLimit = siteLimit(c.PidsLimit, lim.DefaultPIDs, lim.MaxPIDs)
	s.CPUs = siteLimit(c.CPULimit, lim.DefaultCPUs, lim.MaxCPUs)
	s.CapDrop, s.CapAdd = []string{"ALL"}, slices.Clone(Capabilities)
	for _, v := range c.Volumes {
		s.Mounts = append(s.Mounts, docker.Mount{Volume: VolumeName(o.InstanceID, c.ProjectUUID, c.UUID, v), Target: v.MountPath,
			ReadOnly: v.ReadOnly})
	}
	s.Placement = settings.SplitPlacement(c.Placement)
	s.User = c.User
	if s.User == "" {
		s.User = lim.DefaultUser
	}
	if c.ReadOnlyRootfs {
		s.ReadonlyRootfs = true
		if !slices.ContainsFunc(c.Volumes, func(v settings.Volume) bool { return v.MountPath == "/tmp" }) {
			s.Tmpfs = map[string]string{"/tmp": TmpfsOptions}
		}
	}
	return s, script, nil
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// containerName is kiosc-<short uuid>-<slug of title>.
func containerName(c *store.Container) string {
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(c.Title), "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	name := "kiosc-" + c.UUID[:8]
	if slug != "" {
		name += "-" + slug
	}
	return name
}

func networkName(uuid string) string { return "kiosc-" + uuid[:8] }

// TmpfsOptions are the options of the writable /tmp of a container with a read-only root file system.
const TmpfsOptions = "rw,nosuid,nodev,mode=1777"

// VolumeName is the Docker name of a kiosc volume: kiosc-<instance>-c-<container uuid>-<name> for a container's own
// volume, kiosc-<instance>-p-<project uuid>-<name> for a project's. The whole instance ID and UUID make it unique
// among the instances that share an engine and among projects and containers; the scope letter and the fixed
// length of the UUID keep the two kinds apart whatever the name.
func VolumeName(instanceID, projectUUID, containerUUID string, v settings.Volume) string {
	if v.Scope == settings.ScopeProject {
		return "kiosc-" + instanceID + "-p-" + projectUUID + "-" + v.Name
	}
	return "kiosc-" + instanceID + "-c-" + containerUUID + "-" + v.Name
}

// siteLimit applies the site default to an unset (0) limit, then the site maximum (0: none).
func siteLimit[T int64 | float64](v, def, maxV T) T {
	if v <= 0 {
		v = def
	}
	if maxV > 0 && (v <= 0 || v > maxV) {
		return maxV
	}
	return v
}

// spec builds the Docker container of c (see ContainerSpec): it decrypts the secrets, writes a script command to
// the host and puts the container on its network, creating the network when needed.
func (m *Manager) spec(ctx context.Context, c *store.Container) (docker.ContainerSpec, error) {
	sec, err := m.secretEnv(c)
	if err != nil {
		return docker.ContainerSpec{}, err
	}
	bp, pub := m.basePath(c)
	s, script, err := ContainerSpec(c, SpecOptions{BasePath: bp, PublicURL: pub, Secrets: sec, Labels: m.labels(c),
		Limits: m.o.Limits, ScriptPath: m.scriptPath(c.UUID), InstanceID: m.o.InstanceID})
	if err != nil {
		return s, err
	}
	if script != "" {
		path := m.scriptPath(c.UUID)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return s, err
		}
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			return s, err
		}
		if err := os.Chmod(path, 0o755); err != nil {
			return s, err
		}
	}
	if m.o.NetworkMode == NetworkPrivateBridges {
		name := networkName(c.UUID)
		id, err := m.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: name, Labels: m.labels(c), IDLabel: LabelContainer + "=" + c.UUID})
		if err != nil {
			return s, createFailure("the container's network "+name, err)
		}
		if m.selfID != "" && !m.o.Swarm {
			if err := m.dk.ConnectNetwork(ctx, id, m.selfID); err != nil {
				m.log.Warn("could not attach kiosc to the container network", "network", name, "err", err)
			}
		}
		s.Network = name
	} else {
		id, err := m.ensureAppsNetwork(ctx)
		if err != nil {
			return s, createFailure("the shared network "+AppsNetworkName(m.o.InstanceID), err)
		}
		// By ID: an engine before API 1.44 may briefly hold a second network of the name (see EnsureNetwork).
		s.Network, s.PublishIP = id, m.o.HostBindIP
	}
	return s, nil
}

// ensureAppsNetwork returns the ID of the network the containers of this instance share in default-bridge mode,
// creating it when absent. Traffic between containers is off on it, so no app reaches another past kiosc's proxy
// and its authentication, while kiosc on the host still reaches every app.
func (m *Manager) ensureAppsNetwork(ctx context.Context) (string, error) {
	m.netMu.Lock()
	defer m.netMu.Unlock()
	return m.dk.EnsureNetwork(ctx, docker.NetworkSpec{Name: AppsNetworkName(m.o.InstanceID),
		Labels:  map[string]string{LabelManaged: "true", LabelInstance: m.o.InstanceID, LabelNetwork: NetworkApps},
		IDLabel: LabelInstance + "=" + m.o.InstanceID, NoICC: true})
}
