package sodar

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/bihealth/kiosc/app/store"
)

// Remote access levels of SODAR projects.
const (
	LevelNone      = "NONE"
	LevelRevoked   = "REVOKED"
	LevelViewAvail = "VIEW_AVAIL"
	LevelReadInfo  = "READ_INFO"
	LevelReadRoles = "READ_ROLES"
)

// User is one entry of the payload's "users".
type User struct {
	Username  string   `json:"username"`
	Name      string   `json:"name"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Email     string   `json:"email"`
	Groups    []string `json:"groups"`
	SodarUUID string   `json:"sodar_uuid"`
	// IsActive is only sent by sync API 2.1.
	IsActive *bool `json:"is_active"`
}

// Local reports whether the user is a SODAR-local account (group "system" or no group), which is never mirrored.
func (u *User) Local() bool {
	if len(u.Groups) == 0 {
		return true
	}
	for _, g := range u.Groups {
		if g == "system" {
			return true
		}
	}
	return false
}

// FullName is the display name, built from first and last name when SODAR sends none.
func (u *User) FullName() string {
	if n := strings.TrimSpace(u.Name); n != "" {
		return n
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// RoleEntry is one role assignment of a project: a username and a SODAR role name.
type RoleEntry struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// Project is one entry of the payload's "projects" (a project or a category).
type Project struct {
	Title       string               `json:"title"`
	Type        string               `json:"type"`
	Level       string               `json:"level"`
	ParentUUID  *string              `json:"parent_uuid"`
	Description *string              `json:"description"`
	Readme      string               `json:"readme"`
	Roles       map[string]RoleEntry `json:"roles"`
}

// Parent is the parent UUID, "" for none (a missing key means none too).
func (p *Project) Parent() string {
	if p.ParentUUID == nil {
		return ""
	}
	return *p.ParentUUID
}

// Payload is the decoded sync payload. Entries that could not be decoded are left out and reported by Parse.
type Payload struct {
	Users    map[string]*User    // by SODAR user UUID
	Projects map[string]*Project // by project/category UUID
}

// Parse decodes a sync payload. Only a body that is not a JSON object, or whose "users" or "projects" is not an
// object, is an error; a malformed entry is skipped with a message so the rest still syncs.
func Parse(body []byte) (*Payload, []store.SodarMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	var msgs []store.SodarMessage
	p := &Payload{Users: map[string]*User{}, Projects: map[string]*Project{}}
	users, err := section(top, "users", &msgs)
	if err != nil {
		return nil, nil, err
	}
	projects, err := section(top, "projects", &msgs)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range sortedKeys(users) {
		var u User
		if err := json.Unmarshal(users[id], &u); err != nil || u.Username == "" {
			msgs = append(msgs, skip("user", id, "", "malformed user entry: "+why(err, "username missing")))
			continue
		}
		p.Users[id] = &u
	}
	for _, id := range sortedKeys(projects) {
		var pr Project
		if err := json.Unmarshal(projects[id], &pr); err != nil {
			msgs = append(msgs, skip("project", id, "", "malformed project entry: "+why(err, "")))
			continue
		}
		p.Projects[id] = &pr
	}
	return p, msgs, nil
}

// section returns one top-level object of the payload; a missing one is treated as empty and noted.
func section(top map[string]json.RawMessage, key string, msgs *[]store.SodarMessage) (map[string]json.RawMessage, error) {
	raw, ok := top[key]
	if !ok || string(raw) == "null" {
		*msgs = append(*msgs, store.SodarMessage{Level: "warning", Kind: "payload", Message: fmt.Sprintf("the payload has no %q; treated as empty", key)})
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %q is not an object", ErrNotJSON, key)
	}
	return m, nil
}

func why(err error, fallback string) string {
	if err != nil {
		return err.Error()
	}
	return fallback
}

func skip(kind, id, name, msg string) store.SodarMessage {
	return store.SodarMessage{Level: "error", Kind: kind, UUID: id, Name: name, Message: msg}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
