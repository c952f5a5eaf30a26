// Package settings holds what a user configures about a container, and what a template carries: the settings
// struct, the patch that changes some of them, and their validation against the site's limits. Store records, the
// API's views, templates and the command-line client all embed Container, so a setting is written out once.
//
// A new setting is a field of Container and Patch (same Go name, same JSON name), a rule in Patch.Validate, its
// columns in the store and, when it changes the Docker container, its line in lifecycle.ContainerSpec. Apply, Fill,
// Pick, PatchOf, Fields and the template diff follow from the struct.
package settings

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Container holds the settings of a container or a template, by API name (spec section 5.1). It holds no secrets:
// secret environment variables and registry credentials belong to the container alone, never to a template.
type Container struct {
	Title          string            `json:"title"`
	Description    string            `json:"description"`
	Image          string            `json:"image"`
	Command        string            `json:"command"`
	Environment    map[string]string `json:"environment"`
	ContainerPort  int               `json:"container_port"`
	ContainerPath  string            `json:"container_path"`
	HeartbeatURL   string            `json:"heartbeat_url"`
	StripPrefix    bool              `json:"strip_prefix"`
	StartupTimeout int64             `json:"startup_timeout"` // seconds
	MaxIdle        int64             `json:"max_idle"`        // seconds
	MaxLifetime    int64             `json:"max_lifetime"`    // seconds
	MemoryLimit    int64             `json:"memory_limit"`    // bytes
	CPULimit       float64           `json:"cpu_limit"`
	PidsLimit      int64             `json:"pids_limit"`
	MaxRetries     int               `json:"max_retries"`
	PullPolicy     string            `json:"pull_policy"`
	Volumes        Volumes           `json:"volumes"`
	// User is who the container's processes run as (uid[:gid] or a name the image knows); empty: the site default
	// (KIOSC_DEFAULT_USER), else the image's user.
	User string `json:"user"`
	// ReadOnlyRootfs mounts the image's file system read-only; /tmp is then a writable tmpfs.
	ReadOnlyRootfs bool `json:"read_only_rootfs"`
	// Access is who may open the app: project (members, guest and up), site (any logged-in user), link (also
	// holders of a secret link) or public (anyone); see AccessLevels. Link and public need the site's Sharing.
	Access string `json:"access"`
	// Placement are Docker Swarm placement constraints, comma separated (e.g. node.labels.gpu==true), besides the
	// site's; only KIOSC_RUNTIME=swarm uses them.
	Placement string `json:"placement"`
}

// Pull policies.
const (
	PullIfMissing = "if-missing"
	PullAlways    = "always"
)

// Defaults returns the settings of a new container or template before its create request is applied.
func Defaults() Container {
	return Container{ContainerPort: 80, StripPrefix: true, PullPolicy: PullIfMissing, Access: AccessProject}
}

// Patch holds the settings of a create or PATCH request, one field for each field of Container. Absent fields are
// nil and stay unchanged. Environment values are checked by Validate (a value that is not a string is reported
// under its variable's name) and replace the environment as a whole.
type Patch struct {
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
	Volumes        *Volumes       `json:"volumes"`
	User           *string        `json:"user"`
	ReadOnlyRootfs *bool          `json:"read_only_rootfs"`
	Access         *string        `json:"access"`
	Placement      *string        `json:"placement"`
}

// Fields lists the settings by API name, in the order of Container.
func Fields() []string {
	t := reflect.TypeFor[Container]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// Apply copies the present fields of a validated p onto c. The title loses surrounding spaces and the container
// path its leading slash.
func (p *Patch) Apply(c *Container) {
	pv, cv := reflect.ValueOf(p).Elem(), reflect.ValueOf(c).Elem()
	for i := range pv.NumField() {
		f := pv.Field(i)
		if f.IsNil() {
			continue
		}
		dst := cv.FieldByName(pv.Type().Field(i).Name)
		if f.Kind() == reflect.Pointer {
			dst.Set(f.Elem())
			continue
		}
		// Environment: the validated values are strings.
		env := make(map[string]string, f.Len())
		for k, v := range p.Environment {
			s, _ := v.(string)
			env[k] = s
		}
		dst.Set(reflect.ValueOf(env))
	}
	if p.Title != nil {
		c.Title = strings.TrimSpace(c.Title)
	}
	if p.ContainerPath != nil {
		c.ContainerPath = strings.TrimPrefix(c.ContainerPath, "/")
	}
	if p.Volumes != nil {
		c.Volumes = c.Volumes.normalized()
	}
}

// Fill sets the fields that p leaves out to the values of c, for a container created from a template: what the
// request says wins, the template supplies the rest.
func (p *Patch) Fill(c Container) {
	all := PatchOf(c)
	pv, av := reflect.ValueOf(p).Elem(), reflect.ValueOf(all).Elem()
	for i := range pv.NumField() {
		if pv.Field(i).IsNil() {
			pv.Field(i).Set(av.Field(i))
		}
	}
}

// PatchOf returns a patch that sets every field of c.
func PatchOf(c Container) *Patch {
	return Pick(c, Fields())
}

// Pick returns a patch that sets the named fields (API names; unknown names are ignored) to their values in c.
func Pick(c Container, fields []string) *Patch {
	vals := c.Values()
	picked := map[string]json.RawMessage{}
	for _, f := range fields {
		if v, ok := vals[f]; ok {
			picked[f] = v
		}
	}
	b, _ := json.Marshal(picked)
	p := &Patch{}
	_ = json.Unmarshal(b, p)
	return p
}

// Values renders c as raw JSON values by API name; a nil environment is an empty object.
func (c Container) Values() map[string]json.RawMessage {
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	b, _ := json.Marshal(c) // no volumes renders as [] (Volumes.MarshalJSON)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}
