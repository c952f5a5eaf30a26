package lifecycle

import (
	"time"

	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// ProxyPrefix is the public path prefix of every app.
const ProxyPrefix = "/containers/proxy/"

// View is the API representation of a container (spec section 5.1 names): its settings and its state. It never
// holds a secret value.
type View struct {
	UUID    string `json:"uuid"`
	Project string `json:"project"`
	settings.Container
	SecretEnvironmentKeys []string    `json:"secret_environment_keys"`
	Template              *string     `json:"template"`
	State                 store.State `json:"state"`
	StateReason           string      `json:"state_reason"`
	StateMessage          string      `json:"state_message"`
	StateDetail           string      `json:"state_detail,omitempty"` // the engine's own text of a failure
	DesiredState          store.State `json:"desired_state"`
	DockerID              *string     `json:"docker_id"`
	DockerState           *string     `json:"docker_state"`
	ExitCode              *int        `json:"exit_code"`
	OOMKilled             bool        `json:"oom_killed"`
	HostPort              *int        `json:"host_port"`
	ReadyAt               *time.Time  `json:"ready_at"`
	StartedAt             *time.Time  `json:"started_at"`
	StoppedAt             *time.Time  `json:"stopped_at"`
	LastAccessAt          *time.Time  `json:"last_access_at"`
	RestartPending        bool        `json:"restart_pending"`
	// The image the Docker container was created from, and the last check for a newer one (see CheckUpdate).
	ImageID         *string            `json:"image_id"`
	ImageDigest     *string            `json:"image_digest"`
	UpdateStatus    store.UpdateStatus `json:"update_status"`
	UpdateAvailable bool               `json:"update_available"`
	AvailableDigest *string            `json:"available_digest"`
	UpdateMessage   string             `json:"update_message"`
	UpdateCheckedAt *time.Time         `json:"update_checked_at"`
	// ImagePorts are the TCP ports the image of its last Docker container exposes.
	ImagePorts []int  `json:"image_ports"`
	ProxyURL   string `json:"proxy_url"`
	// EffectiveAccess is the access level the app has now: access, or project while the site does not allow it.
	EffectiveAccess string    `json:"effective_access"`
	HasRegistryAuth bool      `json:"has_registry_auth"`
	Retries         int       `json:"retries"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NewView renders a container record. Its proxy_url is the URL that opens the app where apps are served (see
// routing.Apps.OpenURL): on the app's own origin, or a path on kiosc's origin in path mode.
func NewView(c *store.Container, apps routing.Apps, site settings.Sharing) View {
	cfg := c.Container
	if cfg.Access == "" {
		cfg.Access = settings.AccessProject
	}
	if cfg.Environment == nil {
		cfg.Environment = map[string]string{}
	}
	keys := c.SecretEnvKeys
	if keys == nil {
		keys = []string{}
	}
	return View{
		UUID: c.UUID, Project: c.ProjectUUID, Container: cfg, SecretEnvironmentKeys: keys, Template: optStr(c.Template),
		State: c.State, StateReason: c.StateReason, StateMessage: c.StateMessage, StateDetail: c.StateDetail,
		DesiredState: c.DesiredState, DockerID: optStr(c.DockerID), DockerState: optStr(c.DockerState), ExitCode: c.ExitCode,
		OOMKilled: c.OOMKilled, HostPort: c.HostPort, ReadyAt: c.ReadyAt, StartedAt: c.StartedAt, StoppedAt: c.StoppedAt,
		LastAccessAt: c.LastAccessAt, RestartPending: c.RestartPending, ImageID: optStr(c.ImageID), ImageDigest: optStr(c.ImageDigest),
		UpdateStatus: orDefault(c.UpdateStatus, store.UpdateUnchecked), UpdateAvailable: c.UpdateAvailable,
		AvailableDigest: optStr(c.AvailableDigest), UpdateMessage: c.UpdateMessage, UpdateCheckedAt: c.UpdateCheckedAt,
		ProxyURL: apps.OpenURL(c.UUID, c.ContainerPath), EffectiveAccess: site.Effective(c.Access),
		HasRegistryAuth: c.RegistryAuthEnc != "", Retries: c.Retries, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, ImagePorts: orEmpty(c.ImagePorts),
	}
}
