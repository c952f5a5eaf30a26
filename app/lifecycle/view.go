package lifecycle

import (
	"time"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/store"
)

// ProxyPrefix is the public path prefix of every app.
const ProxyPrefix = "/containers/proxy/"

// View is the API representation of a container (spec section 5.1 names). It never holds a secret value.
type View struct {
	UUID                  string            `json:"uuid"`
	Project               string            `json:"project"`
	Title                 string            `json:"title"`
	Description           string            `json:"description"`
	Image                 string            `json:"image"`
	Command               string            `json:"command"`
	Environment           map[string]string `json:"environment"`
	SecretEnvironmentKeys []string          `json:"secret_environment_keys"`
	ContainerPort         int               `json:"container_port"`
	ContainerPath         string            `json:"container_path"`
	HeartbeatURL          string            `json:"heartbeat_url"`
	StripPrefix           bool              `json:"strip_prefix"`
	StartupTimeout        int64             `json:"startup_timeout"`
	MaxIdle               int64             `json:"max_idle"`
	MaxLifetime           int64             `json:"max_lifetime"`
	MemoryLimit           int64             `json:"memory_limit"`
	CPULimit              float64           `json:"cpu_limit"`
	PidsLimit             int64             `json:"pids_limit"`
	MaxRetries            int               `json:"max_retries"`
	PullPolicy            string            `json:"pull_policy"`
	Template              *string           `json:"template"`
	State                 string            `json:"state"`
	StateReason           string            `json:"state_reason"`
	StateMessage          string            `json:"state_message"`
	StateDetail           string            `json:"state_detail,omitempty"` // the engine's own text of a failure
	DesiredState          string            `json:"desired_state"`
	DockerID              *string           `json:"docker_id"`
	DockerState           *string           `json:"docker_state"`
	ExitCode              *int              `json:"exit_code"`
	OOMKilled             bool              `json:"oom_killed"`
	HostPort              *int              `json:"host_port"`
	ReadyAt               *time.Time        `json:"ready_at"`
	StartedAt             *time.Time        `json:"started_at"`
	StoppedAt             *time.Time        `json:"stopped_at"`
	LastAccessAt          *time.Time        `json:"last_access_at"`
	RestartPending        bool              `json:"restart_pending"`
	ProxyURL              string            `json:"proxy_url"`
	HasRegistryAuth       bool              `json:"has_registry_auth"`
	Retries               int               `json:"retries"`
	CreatedBy             string            `json:"created_by"`
	CreatedAt             time.Time         `json:"created_at"`
	UpdatedAt             time.Time         `json:"updated_at"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NewView renders a container record. Its proxy_url is the URL that opens the app where apps are served (see
// routing.Apps.OpenURL): on the app's own origin, or a path on kiosc's origin in path mode.
func NewView(c *store.Container, apps routing.Apps) View {
	env := c.Environment
	if env == nil {
		env = map[string]string{}
	}
	keys := c.SecretEnvKeys
	if keys == nil {
		keys = []string{}
	}
	return View{
		UUID: c.UUID, Project: c.ProjectUUID, Title: c.Title, Description: c.Description, Image: c.Image, Command: c.Command,
		Environment: env, SecretEnvironmentKeys: keys, ContainerPort: c.ContainerPort, ContainerPath: c.ContainerPath,
		HeartbeatURL: c.HeartbeatURL, StripPrefix: c.StripPrefix, StartupTimeout: c.StartupTimeout, MaxIdle: c.MaxIdle,
		MaxLifetime: c.MaxLifetime, MemoryLimit: c.MemoryLimit, CPULimit: c.CPULimit, PidsLimit: c.PidsLimit,
		MaxRetries: c.MaxRetries, PullPolicy: c.PullPolicy, Template: optStr(c.Template), State: c.State,
		StateReason: c.StateReason, StateMessage: c.StateMessage, DesiredState: c.DesiredState, DockerID: optStr(c.DockerID),
		DockerState: optStr(c.DockerState), ExitCode: c.ExitCode, OOMKilled: c.OOMKilled, HostPort: c.HostPort,
		ReadyAt: c.ReadyAt, StartedAt: c.StartedAt, StoppedAt: c.StoppedAt, LastAccessAt: c.LastAccessAt,
		RestartPending: c.RestartPending, ProxyURL: apps.OpenURL(c.UUID, c.ContainerPath),
		HasRegistryAuth: c.RegistryAuthEnc != "", Retries: c.Retries, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, StateDetail: c.StateDetail,
	}
}
