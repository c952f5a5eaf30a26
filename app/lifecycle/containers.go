package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// Get returns a container record.
func (m *Manager) Get(ctx context.Context, uuid string) (*store.Container, error) {
	return m.st.GetContainer(ctx, uuid)
}

// Create validates in and stores a new container in project (nothing runs until it is started).
func (m *Manager) Create(ctx context.Context, user *store.User, project *store.Project, in *Input) (*store.Container, error) {
	if errs := in.Validate(true, m.Limits()); len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	c := &store.Container{ProjectID: project.ID, ProjectUUID: project.UUID, Container: settings.Defaults(),
		CreatedBy: user.Username}
	if err := m.apply(c, in); err != nil {
		return nil, err
	}
	if err := m.st.CreateContainer(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &ValidationError{map[string]string{"title": "a container with this title exists in the project"}}
		}
		return nil, err
	}
	c, err := m.st.GetContainer(ctx, c.UUID)
	if err != nil {
		return nil, err
	}
	m.event(ctx, c.UUID, store.LevelInfo, user.Username, "created")
	m.timeline(ctx, c, user.Username, "container_create", store.StatusOK, "created container "+c.Title, map[string]any{"image": c.Image})
	m.publish(c)
	return c, nil
}

// Update applies a PATCH. A change to a container that runs marks it restart_pending.
func (m *Manager) Update(ctx context.Context, user *store.User, uuid string, in *Input) (*store.Container, error) {
	c, err := m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if in.Access != nil && *in.Access == c.Access {
		// Not a change: a form that sends every field keeps a level the site no longer allows.
		in.Access = nil
	}
	if errs := in.Validate(false, m.Limits()); len(errs) > 0 {
		return nil, &ValidationError{errs}
	}
	if c.State == store.StateDeleting {
		return nil, fmt.Errorf("%w: the container is being deleted", ErrConflict)
	}
	before := m.View(c)
	oldAccess := c.Access
	if err := m.apply(c, in); err != nil {
		return nil, err
	}
	after := m.View(c)
	changed := changedFields(before, after)
	if in.SecretEnvironment != nil {
		changed = append(changed, "secret_environment")
	}
	if len(in.RegistryAuth) > 0 {
		changed = append(changed, "registry_auth")
	}
	// Who may open the app is the proxy's business: the container itself need not change.
	restart := slices.ContainsFunc(changed, func(f string) bool { return f != "access" })
	if restart && c.DockerID != "" && slices.Contains([]store.State{store.StateRunning, store.StateStarting,
		store.StatePaused, store.StatePulling, store.StateCreating}, c.State) {
		c.RestartPending = true
	}
	if err := m.st.UpdateContainerConfig(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &ValidationError{map[string]string{"title": "a container with this title exists in the project"}}
		}
		return nil, err
	}
	c, err = m.st.GetContainer(ctx, uuid)
	if err != nil {
		return nil, err
	}
	if slices.Contains(changed, "image") {
		// The last check was about another image.
		if err := m.st.ResetUpdateCheck(ctx, uuid); err != nil {
			return nil, err
		}
		if c, err = m.st.GetContainer(ctx, uuid); err != nil {
			return nil, err
		}
	}
	if len(changed) > 0 {
		m.event(ctx, uuid, store.LevelInfo, user.Username, "configuration changed: %s", strings.Join(changed, ", "))
		m.timeline(ctx, c, user.Username, "container_update", store.StatusOK, "updated container "+c.Title,
			map[string]any{"fields": changed})
	}
	if c.Access != oldAccess {
		m.accessChanged(ctx, user, c, oldAccess)
	}
	m.publish(c)
	return c, nil
}

// changedFields names the fields whose rendered value differs (secrets are compared by the caller).
func changedFields(a, b View) []string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]any
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var out []string
	for k, v := range mb {
		if k == "updated_at" || k == "secret_environment_keys" || k == "has_registry_auth" || k == "effective_access" {
			continue
		}
		x, _ := json.Marshal(v)
		y, _ := json.Marshal(ma[k])
		if string(x) != string(y) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// apply copies the present fields of in onto c, encrypting secrets.
func (m *Manager) apply(c *store.Container, in *Input) error {
	in.Apply(&c.Container) // the settings; the rest is the container's own
	if in.Template != nil {
		c.Template = *in.Template
	}
	if in.SecretEnvironment != nil {
		secretsMap, err := m.secretEnv(c)
		if err != nil {
			return err
		}
		for k, v := range in.SecretEnvironment {
			if v == nil {
				delete(secretsMap, k)
			} else {
				secretsMap[k] = v.(string)
			}
		}
		c.SecretEnvKeys = slices.Sorted(func(yield func(string) bool) {
			for k := range secretsMap {
				if !yield(k) {
					return
				}
			}
		})
		c.SecretEnvEnc = ""
		if len(secretsMap) > 0 {
			b, _ := json.Marshal(secretsMap)
			c.SecretEnvEnc = m.keys.Encrypt(b)
		}
	}
	if len(in.RegistryAuth) > 0 {
		if string(in.RegistryAuth) == "null" {
			c.RegistryAuthEnc = ""
		} else {
			var ra docker.RegistryAuth
			if err := json.Unmarshal(in.RegistryAuth, &ra); err != nil {
				return &ValidationError{map[string]string{"registry_auth": "invalid"}}
			}
			b, _ := json.Marshal(ra)
			c.RegistryAuthEnc = m.keys.Encrypt(b)
		}
	}
	return nil
}

// secretEnv decrypts the secret environment of c.
func (m *Manager) secretEnv(c *store.Container) (map[string]string, error) {
	out := map[string]string{}
	if c.SecretEnvEnc == "" {
		return out, nil
	}
	b, err := m.keys.Decrypt(c.SecretEnvEnc)
	if err != nil {
		return nil, fmt.Errorf("secret environment of %s cannot be decrypted (was KIOSC_SECRET_KEY changed?): %w", c.UUID, err)
	}
	return out, json.Unmarshal(b, &out)
}

// registryAuth decrypts the registry credentials of c (nil when none).
func (m *Manager) registryAuth(c *store.Container) (*docker.RegistryAuth, error) {
	if c.RegistryAuthEnc == "" {
		return nil, nil
	}
	b, err := m.keys.Decrypt(c.RegistryAuthEnc)
	if err != nil {
		return nil, fmt.Errorf("registry credentials cannot be decrypted (was KIOSC_SECRET_KEY changed?): %w", err)
	}
	ra := &docker.RegistryAuth{}
	return ra, json.Unmarshal(b, ra)
}

// accessChanged records a change of the container's access level in its events and the timeline (container_access,
// with the old and the new level, and the level in effect while the site does not allow it).
func (m *Manager) accessChanged(ctx context.Context, user *store.User, c *store.Container, old string) {
	eff := m.sharing().Effective(c.Access)
	desc := "access to " + c.Title + " changed from " + orProject(old) + " to " + c.Access
	if eff != c.Access {
		desc += " (the site does not allow " + c.Access + " access now: it behaves as " + eff + ")"
	}
	m.event(ctx, c.UUID, store.LevelInfo, user.Username, "%s", desc)
	m.timeline(ctx, c, user.Username, "container_access", store.StatusOK, desc,
		map[string]any{"old": orProject(old), "new": c.Access, "effective": eff})
}

func orProject(access string) string {
	if access == "" {
		return settings.AccessProject
	}
	return access
}
