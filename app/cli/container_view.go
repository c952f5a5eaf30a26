package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/units"
)

// containerView is the part of the API's container object the commands read. show and --json print the whole
// object as the API sends it.
type containerView struct {
	UUID    string `json:"uuid"`
	Project string `json:"project"`
	settings.Container
	SecretEnvironmentKeys []string    `json:"secret_environment_keys"`
	State                 store.State `json:"state"`
	StateReason           string      `json:"state_reason"`
	StateMessage          string      `json:"state_message"`
	DesiredState          store.State `json:"desired_state"`
	ExitCode              *int        `json:"exit_code"`
	ReadyAt               *time.Time  `json:"ready_at"`
	LastAccessAt          *time.Time  `json:"last_access_at"`
	ProxyURL              string      `json:"proxy_url"`
	Retries               int         `json:"retries"`
	UpdateStatus          string      `json:"update_status"`
	UpdateAvailable       bool        `json:"update_available"`
	AvailableDigest       *string     `json:"available_digest"`
	UpdateMessage         string      `json:"update_message"`
	UpdatedAt             time.Time   `json:"updated_at"`
}

// stateText is the state with its reason, e.g. "stopped (idle)".
func (v *containerView) stateText() string {
	if v.StateReason != "" {
		return string(v.State) + " (" + v.StateReason + ")"
	}
	return string(v.State)
}

// ctShowOrder is the order of the fields in `container show` (spec section 5.1); fields the server adds later are
// printed after these.
var ctShowOrder = []string{"uuid", "project", "title", "description", "image", "command", "environment",
	"secret_environment_keys", "container_port", "container_path", "heartbeat_url", "strip_prefix", "startup_timeout",
	"max_idle", "max_lifetime", "memory_limit", "cpu_limit", "pids_limit", "max_retries", "pull_policy", "volumes", "user",
	"read_only_rootfs", "access", "effective_access", "has_registry_auth", "template", "state", "state_reason", "state_message", "state_detail", "desired_state", "docker_id",
	"docker_state", "exit_code", "oom_killed", "host_port", "retries", "ready_at", "started_at", "stopped_at",
	"last_access_at", "restart_pending", "image_id", "image_digest", "update_status", "update_available", "available_digest",
	"update_message", "update_checked_at", "proxy_url", "created_by", "created_at", "updated_at"}

// never lists fields that are write-only; they are not shown even if a server ever sent them.
var ctNever = map[string]bool{"secret_environment": true, "registry_auth": true}

// showContainer prints a container object as "key  value" lines.
func showContainer(w io.Writer, raw json.RawMessage) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("unexpected answer: %w", err)
	}
	keys := append([]string{}, ctShowOrder...)
	var extra []string
	for k := range m {
		if !slices.Contains(ctShowOrder, k) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	var rows [][]string
	for _, k := range keys {
		v, ok := m[k]
		if !ok || ctNever[k] {
			continue
		}
		switch k {
		case "environment":
			var env map[string]string
			_ = json.Unmarshal(v, &env)
			names := make([]string, 0, len(env))
			for n := range env {
				names = append(names, n)
			}
			sort.Strings(names)
			if len(names) == 0 {
				rows = append(rows, []string{k, "-"})
			}
			for i, n := range names {
				label := ""
				if i == 0 {
					label = k
				}
				rows = append(rows, []string{label, n + "=" + env[n]})
			}
			continue
		case "volumes":
			var vols settings.Volumes
			_ = json.Unmarshal(v, &vols)
			if len(vols) == 0 {
				rows = append(rows, []string{k, "-"})
			}
			for i, vol := range vols {
				label := ""
				if i == 0 {
					label = k
				}
				rows = append(rows, []string{label, ctVolumeText(vol)})
			}
			continue
		case "secret_environment_keys":
			var names []string
			_ = json.Unmarshal(v, &names)
			val := "-"
			if len(names) > 0 {
				val = strings.Join(names, ", ") + " (values are write-only)"
			}
			rows = append(rows, []string{k, val})
			continue
		}
		rows = append(rows, []string{k, ctShowValue(k, v)})
	}
	table(w, rows)
	return nil
}

// ctShowValue formats one field: strings bare, null as "-", sizes and durations with a human hint.
func ctShowValue(key string, v json.RawMessage) string {
	if string(v) == "null" {
		return "-"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s == "" {
			return "-"
		}
		if strings.HasSuffix(key, "_at") {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.Local().Format("2006-01-02 15:04:05 MST")
			}
		}
		return s
	}
	var n float64
	if json.Unmarshal(v, &n) == nil {
		switch key {
		case "memory_limit":
			if n > 0 {
				return fmt.Sprintf("%s (%s)", string(v), units.Bytes(n).Exact())
			}
			return "0 (site default)"
		case "startup_timeout", "max_idle", "max_lifetime":
			if n > 0 {
				return fmt.Sprintf("%s (%s)", string(v), (time.Duration(n) * time.Second).String())
			}
			return "0 (site default)"
		}
	}
	return string(v)
}

// ctVolumeText writes a mount as --volume takes it, with its scope and access in words:
// "data:/data (container volume, read-write)".
func ctVolumeText(v settings.Volume) string {
	spec, access := v.Name+":"+v.MountPath, "read-write"
	if v.Scope == settings.ScopeProject {
		spec += ":project"
	}
	if v.ReadOnly {
		spec, access = spec+":ro", "read-only"
	}
	return fmt.Sprintf("%s (%s volume, %s)", spec, v.Scope, access)
}
