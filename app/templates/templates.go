// Package templates holds what site and project templates share with containers (spec section 10): the
// configuration fields a template carries, their validation (the container rules of lifecycle.Input, so limits and
// messages are the same), the field-by-field comparison with an upstream template, and the copying of chosen fields.
// Secrets and registry credentials are not template fields, so nothing here can ever copy them.
package templates

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// Fields lists the configuration fields of a template by API name, in display order.
var Fields = []string{"title", "description", "image", "command", "environment", "container_port", "container_path",
	"heartbeat_url", "strip_prefix", "startup_timeout", "max_idle", "max_lifetime", "memory_limit", "cpu_limit",
	"pids_limit", "max_retries", "pull_policy"}

// DiffFields are the fields compared with the upstream template and offered for apply: every field but the title,
// which names the entity itself.
var DiffFields = Fields[1:]

// Config holds the configuration values of a template or a container, by API name.
type Config struct {
	Title          string            `json:"title"`
	Description    string            `json:"description"`
	Image          string            `json:"image"`
	Command        string            `json:"command"`
	Environment    map[string]string `json:"environment"`
	ContainerPort  int               `json:"container_port"`
	ContainerPath  string            `json:"container_path"`
	HeartbeatURL   string            `json:"heartbeat_url"`
	StripPrefix    bool              `json:"strip_prefix"`
	StartupTimeout int64             `json:"startup_timeout"`
	MaxIdle        int64             `json:"max_idle"`
	MaxLifetime    int64             `json:"max_lifetime"`
	MemoryLimit    int64             `json:"memory_limit"`
	CPULimit       float64           `json:"cpu_limit"`
	PidsLimit      int64             `json:"pids_limit"`
	MaxRetries     int               `json:"max_retries"`
	PullPolicy     string            `json:"pull_policy"`
}

func envOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// FromTemplate returns the configuration of a template.
func FromTemplate(t *store.Template) Config {
	return Config{Title: t.Title, Description: t.Description, Image: t.Image, Command: t.Command,
		Environment: envOrEmpty(t.Environment), ContainerPort: t.ContainerPort, ContainerPath: t.ContainerPath,
		HeartbeatURL: t.HeartbeatURL, StripPrefix: t.StripPrefix, StartupTimeout: t.StartupTimeout, MaxIdle: t.MaxIdle,
		MaxLifetime: t.MaxLifetime, MemoryLimit: t.MemoryLimit, CPULimit: t.CPULimit, PidsLimit: t.PidsLimit,
		MaxRetries: t.MaxRetries, PullPolicy: t.PullPolicy}
}

// FromContainer returns the configuration of a container (its secrets and registry credentials are not part of it).
func FromContainer(c *store.Container) Config {
	return Config{Title: c.Title, Description: c.Description, Image: c.Image, Command: c.Command,
		Environment: envOrEmpty(c.Environment), ContainerPort: c.ContainerPort, ContainerPath: c.ContainerPath,
		HeartbeatURL: c.HeartbeatURL, StripPrefix: c.StripPrefix, StartupTimeout: c.StartupTimeout, MaxIdle: c.MaxIdle,
		MaxLifetime: c.MaxLifetime, MemoryLimit: c.MemoryLimit, CPULimit: c.CPULimit, PidsLimit: c.PidsLimit,
		MaxRetries: c.MaxRetries, PullPolicy: c.PullPolicy}
}

// values renders c as raw JSON values by field name.
func (c Config) values() map[string]json.RawMessage {
	b, _ := json.Marshal(c)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

// FieldDiff is one field that differs from the upstream template.
type FieldDiff struct {
	Field    string          `json:"field"`
	Current  json.RawMessage `json:"current"`
	Upstream json.RawMessage `json:"upstream"`
}

// Diff lists, in the order of DiffFields, the fields whose values differ between current and upstream.
func Diff(current, upstream Config) []FieldDiff {
	a, b := current.values(), upstream.values()
	out := []FieldDiff{}
	for _, f := range DiffFields {
		if string(a[f]) != string(b[f]) {
			out = append(out, FieldDiff{Field: f, Current: a[f], Upstream: b[f]})
		}
	}
	return out
}

// Input holds the writable fields of a template create or PATCH request. Absent fields are nil and stay unchanged.
type Input struct {
	Title          *string        `json:"title"`
	Description    *string        `json:"description"`
	Image          *string        `json:"image"`
	Command        *string        `json:"command"`
	Environment    map[string]any `json:"environment"`
	ContainerPort  *int           `json:"container_port"`
	ContainerPath  *string        `json:"container_path"`
	HeartbeatURL   *string        `json:"heartbeat_url"`
	StripPrefix    *bool          `json:"strip_prefix"`
	StartupTimeout *int64         `json:"startup_timeout"`
	MaxIdle        *int64         `json:"max_idle"`
	MaxLifetime    *int64         `json:"max_lifetime"`
	MemoryLimit    *int64         `json:"memory_limit"`
	CPULimit       *float64       `json:"cpu_limit"`
	PidsLimit      *int64         `json:"pids_limit"`
	MaxRetries     *int           `json:"max_retries"`
	PullPolicy     *string        `json:"pull_policy"`
}

// Lifecycle returns in as a container input (the same fields; no secrets, no credentials, no template).
func (in *Input) Lifecycle() *lifecycle.Input {
	return &lifecycle.Input{Title: in.Title, Description: in.Description, Image: in.Image, Command: in.Command,
		Environment: in.Environment, ContainerPort: in.ContainerPort, ContainerPath: in.ContainerPath,
		HeartbeatURL: in.HeartbeatURL, StripPrefix: in.StripPrefix, StartupTimeout: in.StartupTimeout, MaxIdle: in.MaxIdle,
		MaxLifetime: in.MaxLifetime, MemoryLimit: in.MemoryLimit, CPULimit: in.CPULimit, PidsLimit: in.PidsLimit,
		MaxRetries: in.MaxRetries, PullPolicy: in.PullPolicy}
}

// Validate checks every present field with the container rules (same limits, same messages); create requires
// title and image. The result maps field names to messages and is empty when in is valid.
func (in *Input) Validate(create bool, lim lifecycle.Limits) map[string]string {
	return in.Lifecycle().Validate(create, lim)
}

// ApplyTo copies the present fields of a validated in onto t.
func (in *Input) ApplyTo(t *store.Template) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	if in.Title != nil {
		t.Title = strings.TrimSpace(*in.Title)
	}
	set(&t.Description, in.Description)
	set(&t.Image, in.Image)
	set(&t.Command, in.Command)
	if in.ContainerPath != nil {
		t.ContainerPath = strings.TrimPrefix(*in.ContainerPath, "/")
	}
	set(&t.HeartbeatURL, in.HeartbeatURL)
	set(&t.PullPolicy, in.PullPolicy)
	if in.Environment != nil {
		t.Environment = map[string]string{}
		for k, v := range in.Environment {
			s, _ := v.(string)
			t.Environment[k] = s
		}
	}
	if in.ContainerPort != nil {
		t.ContainerPort = *in.ContainerPort
	}
	if in.StripPrefix != nil {
		t.StripPrefix = *in.StripPrefix
	}
	for _, f := range []struct {
		dst *int64
		v   *int64
	}{{&t.StartupTimeout, in.StartupTimeout}, {&t.MaxIdle, in.MaxIdle}, {&t.MaxLifetime, in.MaxLifetime},
		{&t.MemoryLimit, in.MemoryLimit}, {&t.PidsLimit, in.PidsLimit}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if in.CPULimit != nil {
		t.CPULimit = *in.CPULimit
	}
	if in.MaxRetries != nil {
		t.MaxRetries = *in.MaxRetries
	}
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

// Apply returns an input that sets the given fields (names checked with CheckFields) to their upstream values.
func Apply(fields []string, upstream Config) *Input {
	vals := upstream.values()
	picked := map[string]json.RawMessage{}
	for _, f := range fields {
		if v, ok := vals[f]; ok {
			picked[f] = v
		}
	}
	b, _ := json.Marshal(picked)
	in := &Input{}
	_ = json.Unmarshal(b, in)
	return in
}

// All returns an input that sets every field of c (a copy of a template).
func All(c Config) *Input {
	return Apply(Fields, c)
}

// Fill sets the fields that in leaves out to the values of the template configuration c, for a container created
// from a template: what the request says wins, the template supplies the rest.
func Fill(in *lifecycle.Input, c Config) {
	t := All(c)
	if in.Title == nil {
		in.Title = t.Title
	}
	if in.Description == nil {
		in.Description = t.Description
	}
	if in.Image == nil {
		in.Image = t.Image
	}
	if in.Command == nil {
		in.Command = t.Command
	}
	if in.Environment == nil {
		in.Environment = t.Environment
	}
	if in.ContainerPort == nil {
		in.ContainerPort = t.ContainerPort
	}
	if in.ContainerPath == nil {
		in.ContainerPath = t.ContainerPath
	}
	if in.HeartbeatURL == nil {
		in.HeartbeatURL = t.HeartbeatURL
	}
	if in.StripPrefix == nil {
		in.StripPrefix = t.StripPrefix
	}
	if in.StartupTimeout == nil {
		in.StartupTimeout = t.StartupTimeout
	}
	if in.MaxIdle == nil {
		in.MaxIdle = t.MaxIdle
	}
	if in.MaxLifetime == nil {
		in.MaxLifetime = t.MaxLifetime
	}
	if in.MemoryLimit == nil {
		in.MemoryLimit = t.MemoryLimit
	}
	if in.CPULimit == nil {
		in.CPULimit = t.CPULimit
	}
	if in.PidsLimit == nil {
		in.PidsLimit = t.PidsLimit
	}
	if in.MaxRetries == nil {
		in.MaxRetries = t.MaxRetries
	}
	if in.PullPolicy == nil {
		in.PullPolicy = t.PullPolicy
	}
}
