package lifecycle

import (
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/store"
)

// Audience is how much of a container a caller may see, from their rights in its project (spec section 4). The
// container list, the detail and the live channel all render containers through View.For, so that every role
// sees the same thing everywhere.
type Audience int

// The audiences, from least to most.
const (
	// AudienceNone sees nothing (no role in the project).
	AudienceNone Audience = iota
	// AudienceList sees the project's container list and nothing more (viewers): a ListEntry.
	AudienceList
	// AudienceDetail sees the container detail (guests): the View without raw daemon details.
	AudienceDetail
	// AudienceFull sees everything, raw daemon details included (contributors and up, superusers): the View.
	AudienceFull
)

// AudienceOf returns the audience of a user with the given effective role in a container's project.
func AudienceOf(superuser bool, role string) Audience {
	switch {
	// Raw daemon text is of the same kind as Docker's logs, so it goes to whoever may read those.
	case access.Allowed(superuser, role, access.ViewLogs):
		return AudienceFull
	case access.Allowed(superuser, role, access.ViewContainer):
		return AudienceDetail
	case access.Allowed(superuser, role, access.ViewProject):
		return AudienceList
	}
	return AudienceNone
}

// ListEntry is what viewers see of a container: enough to list it with its state, never its configuration
// (image, command, environment, secret keys, template, registry credentials), Docker's identifiers, ports and
// state, or messages that may carry the daemon's text.
type ListEntry struct {
	UUID         string      `json:"uuid"`
	Project      string      `json:"project"`
	Title        string      `json:"title"`
	Description  string      `json:"description"`
	State        store.State `json:"state"`
	StateReason  string      `json:"state_reason"`
	DesiredState store.State `json:"desired_state"`
	ReadyAt      *time.Time  `json:"ready_at"`
	StartedAt    *time.Time  `json:"started_at"`
	StoppedAt    *time.Time  `json:"stopped_at"`
	ProxyURL     string      `json:"proxy_url"`
	// Access and EffectiveAccess mark apps open beyond the project in every list.
	Access          string    `json:"access"`
	EffectiveAccess string    `json:"effective_access"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// For returns what audience a may see of the container: nil for AudienceNone, a ListEntry for AudienceList, a
// View otherwise. It is the only place that decides this; lists, details and live messages all go through it.
func (v View) For(a Audience) any {
	switch a {
	case AudienceList:
		return ListEntry{UUID: v.UUID, Project: v.Project, Title: v.Title, Description: v.Description, State: v.State,
			StateReason: v.StateReason, DesiredState: v.DesiredState, ReadyAt: v.ReadyAt, StartedAt: v.StartedAt,
			StoppedAt: v.StoppedAt, ProxyURL: v.ProxyURL, Access: v.Access, EffectiveAccess: v.EffectiveAccess, CreatedAt: v.CreatedAt,
			UpdatedAt: v.UpdatedAt}
	case AudienceDetail:
		return v.withoutDaemonDetails()
	case AudienceFull:
		return v
	}
	return nil
}

// withoutDaemonDetails clears the fields only contributors and up may see: raw text from the Docker daemon, which
// can name hosts, registries, paths and credentials hints (and, for an image such as 10.0.0.5:22/x, what listens
// there). Such a field is added to View with `omitempty` and cleared here.
func (v View) withoutDaemonDetails() View {
	v.StateDetail = ""
	return v
}
