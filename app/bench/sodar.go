package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/store"
)

// staticPayload serves a prepared payload as if SODAR had sent it.
type staticPayload struct{ body []byte }

func (s *staticPayload) Fetch(context.Context) ([]byte, string, error) { return s.body, "2.1", nil }

// sodarPayload builds a large site: categories, projects with roles, users.
func sodarPayload(cats, projects, users, rolesPerProject, shift int) []byte {
	u := map[string]any{}
	for i := range users {
		u[fmt.Sprintf("u-%06d", i)] = map[string]any{"username": fmt.Sprintf("user%06d@EXAMPLE", i), "name": fmt.Sprintf("User %d", i),
			"email": fmt.Sprintf("user%d@example.org", i), "groups": []string{"example"}, "is_active": true}
	}
	p := map[string]any{}
	for c := range cats {
		p[fmt.Sprintf("c-%04d", c)] = map[string]any{"title": fmt.Sprintf("Category %d", c), "type": "CATEGORY", "parent_uuid": nil,
			"level": "READ_ROLES", "roles": map[string]any{fmt.Sprintf("rc-%04d", c): map[string]any{"user": "user000000@EXAMPLE", "role": "project owner"}}}
	}
	roleNames := []string{"project owner", "project delegate", "project contributor", "project guest", "project viewer"}
	for i := range projects {
		roles := map[string]any{}
		for r := range rolesPerProject {
			role := roleNames[min(r, len(roleNames)-1)]
			roles[fmt.Sprintf("r-%06d-%02d", i, r)] = map[string]any{"user": fmt.Sprintf("user%06d@EXAMPLE", (i*7+r+shift)%users), "role": role}
		}
		p[fmt.Sprintf("p-%06d", i)] = map[string]any{"title": fmt.Sprintf("Project %d", i), "type": "PROJECT", "level": "READ_ROLES",
			"parent_uuid": fmt.Sprintf("c-%04d", i%cats), "description": "bench", "roles": roles}
	}
	b, _ := json.Marshal(map[string]any{"users": u, "projects": p, "peer_sites": map[string]any{}, "app_settings": map[string]any{}})
	return b
}

// benchSodar measures mirroring a large SODAR site: the first sync (everything created), a sync without changes,
// and one where a share of the roles changed.
func benchSodar(ctx context.Context) ([]row, error) {
	st, done, err := tempStore(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := st.CreateUser(ctx, &store.User{Username: "admin", IsActive: true, IsSuperuser: true, Source: store.SourceLocal}); err != nil {
		return nil, err
	}
	const cats, projects, users, perProject = 20, 1000, 2000, 8
	fetch := &staticPayload{body: sodarPayload(cats, projects, users, perProject, 0)}
	svc := &sodar.Service{Store: st, Fetcher: fetch, Log: log, DefaultOwner: "admin"}
	var rows []row
	measure := func(name string) error {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		run, err := svc.Sync(ctx, sodar.TriggerAPI, "admin")
		if err != nil {
			return err
		}
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		if run.Status == store.SodarRunFailed {
			return fmt.Errorf("%s: %s", name, run.Error)
		}
		rows = append(rows, row{name, d.Round(time.Millisecond).String(), fmt.Sprintf("%d created, %d updated, %d removed; %.0f MiB allocated",
			run.Totals.Created, run.Totals.Updated, run.Totals.Removed, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))})
		return nil
	}
	if err := measure(fmt.Sprintf("first sync (%d KiB payload)", len(fetch.body)>>10)); err != nil {
		return nil, err
	}
	if err := measure("same payload again"); err != nil {
		return nil, err
	}
	fetch.body = sodarPayload(cats, projects, users, perProject, 1)
	if err := measure("every non-owner role moved"); err != nil {
		return nil, err
	}
	rows = append(rows, row{"site size", fmt.Sprintf("%d projects", projects), fmt.Sprintf("%d categories, %d users, %d roles per project",
		cats, users, perProject)})
	return rows, nil
}
