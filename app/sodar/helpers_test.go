package sodar_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/sodar/sodartest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
	"github.com/bihealth/kiosc/app/timeline"
)

// Payload builders: plain Go values marshalled to the JSON SODAR sends.

type payload struct {
	Users       map[string]any `json:"users"`
	Projects    map[string]any `json:"projects"`
	PeerSites   map[string]any `json:"peer_sites"`
	AppSettings map[string]any `json:"app_settings"`
}

func newPayload() *payload {
	return &payload{Users: map[string]any{}, Projects: map[string]any{}, PeerSites: map[string]any{}, AppSettings: map[string]any{}}
}

func (p *payload) user(id, username string, groups ...string) map[string]any {
	if groups == nil {
		groups = []string{"oidc"}
	}
	u := map[string]any{"username": username, "name": strings.ToUpper(username[:1]) + username[1:] + " Person",
		"first_name": "", "last_name": "", "email": username + "@example.org", "additional_emails": []string{},
		"groups": groups, "sodar_uuid": id}
	p.Users[id] = u
	return u
}

func (p *payload) category(id, title, parent, level string, roles map[string]any) map[string]any {
	c := map[string]any{"title": title, "type": "CATEGORY", "description": title + " description", "readme": "", "level": level}
	if parent == "" {
		c["parent_uuid"] = nil
	} else {
		c["parent_uuid"] = parent
	}
	if roles != nil {
		c["roles"] = roles
	}
	p.Projects[id] = c
	return c
}

func (p *payload) project(id, title, parent, level string, roles map[string]any) map[string]any {
	c := map[string]any{"title": title, "type": "PROJECT", "description": title + " description", "readme": "", "level": level,
		"parent_uuid": parent, "remote_sites": []string{}}
	if roles != nil {
		c["roles"] = roles
	}
	p.Projects[id] = c
	return c
}

// roles builds a roles object from "uuid", "username", "role name" triples.
func roles(triples ...string) map[string]any {
	out := map[string]any{}
	for i := 0; i+2 < len(triples); i += 3 {
		out[triples[i]] = map[string]any{"user": triples[i+1], "role": triples[i+2]}
	}
	return out
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	st   *store.Store
	src  *sodartest.Server
	svc  *sodar.Service
	bus  *events.Bus
	logs *syncBuffer
}

// newEnv returns a store with the bootstrap admin, a fake SODAR source accepting every version, and a service.
func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.New(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := auth.EnsureAdmin(context.Background(), st, "adminpassword123", slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	src := sodartest.New(t, secret, []string{"1.0", "2.0", "2.1"}, sodartest.ExamplePayload(t))
	bus := events.New(nil)
	svc := &sodar.Service{Store: st, Fetcher: &sodar.Client{URL: src.URL, Secret: secret}, Log: log, DefaultOwner: "admin",
		Timeline:  &timeline.Recorder{Store: st, Bus: bus, Log: log},
		SourceURL: src.URL}
	return &env{st: st, src: src, svc: svc, bus: bus, logs: logs}
}

func (e *env) sync(t *testing.T) *store.SodarRun {
	t.Helper()
	run, err := e.svc.Sync(context.Background(), sodar.TriggerAPI, "admin")
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func (e *env) project(t *testing.T, id string) *store.Project {
	t.Helper()
	p, err := e.st.GetProjectByUUID(context.Background(), id)
	if err != nil {
		t.Fatalf("project %s: %v", id, err)
	}
	return p
}

func (e *env) noProject(t *testing.T, id string) {
	t.Helper()
	if _, err := e.st.GetProjectByUUID(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("project %s: got %v, want not found", id, err)
	}
}

func (e *env) user(t *testing.T, username string) *store.User {
	t.Helper()
	u, err := e.st.GetUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u
}

// roleMap returns "username=role" entries of a project's own assignments, sorted.
func (e *env) roleMap(t *testing.T, id string) []string {
	t.Helper()
	p := e.project(t, id)
	rs, err := e.st.ListProjectRoles(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Username+"="+r.Role)
	}
	sort.Strings(out)
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// hasMessage reports whether the run has a message of level whose text contains substr.
func hasMessage(run *store.SodarRun, level, substr string) bool {
	for _, m := range run.Messages {
		if m.Level == level && strings.Contains(m.Message, substr) {
			return true
		}
	}
	return false
}
