package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

func TestMigrateFreshAndAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kiosc.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range 2 {
		s, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx, storetest.Migrations(t), log); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		var mode string
		var fk int
		if err := s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v", mode, err)
		}
		if err := s.DB().QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v", fk, err)
		}
		var n int
		if err := s.DB().QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&n); err != nil || n == 0 {
			t.Errorf("no migrations recorded: %d, %v", n, err)
		}
		_ = s.Close()
	}
}

func TestUsersSessionsTokens(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	u := &store.User{Username: "alice@EXAMPLE", Name: "Alice", Source: store.SourceSodar, IsActive: true}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &store.User{Username: "alice@EXAMPLE", Source: store.SourceLocal}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: %v", err)
	}
	u.OIDCIssuer, u.OIDCSubject = "https://idp", "sub-1"
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUserByOIDC(ctx, "https://idp", "sub-1")
	if err != nil || got.ID != u.ID || got.Name != "Alice" {
		t.Fatalf("GetUserByOIDC = %+v, %v", got, err)
	}
	now := time.Now()
	se := &store.Session{IDHash: "h1", UserID: u.ID, CSRFToken: "c", AuthMethod: "local", CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "h1", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "h1", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session returned: %v", err)
	}
	tok := &store.APIToken{UserID: u.ID, Name: "ci", Prefix: "abcd", KeyHash: "kh"}
	if err := s.CreateAPIToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAPITokenByHash(ctx, "kh"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token survived its user: %v", err)
	}
	if _, err := s.GetSession(ctx, "h1", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session survived its user: %v", err)
	}
}

func TestProjectsRolesTimeline(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	cat := &store.Project{Title: "Genomics", Type: store.TypeCategory, Source: store.SourceLocal}
	if err := s.CreateProject(ctx, cat); err != nil {
		t.Fatal(err)
	}
	p := &store.Project{Title: "Exomes", Type: store.TypeProject, ParentID: &cat.ID, Source: store.SourceLocal}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(ctx, &store.Project{Title: "Exomes", Type: store.TypeProject, ParentID: &cat.ID, Source: store.SourceLocal}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("sibling title clash: %v", err)
	}
	if err := s.DeleteProject(ctx, cat.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("category with children deleted: %v", err)
	}
	got, err := s.GetProjectByUUID(ctx, p.UUID)
	if err != nil || got.ParentUUID != cat.UUID {
		t.Fatalf("GetProjectByUUID = %+v, %v", got, err)
	}
	u := &store.User{Username: "bob", Source: store.SourceLocal, IsActive: true}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	r := &store.RoleAssignment{ProjectID: cat.ID, UserID: u.ID, Role: "guest", Source: store.SourceLocal}
	if err := s.UpdateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Role = "owner"
	if err := s.UpdateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	roles, err := s.ListUserRoles(ctx, u.ID)
	if err != nil || len(roles) != 1 || roles[0].Role != "owner" || roles[0].ProjectUUID != cat.UUID {
		t.Fatalf("roles = %+v, %v", roles, err)
	}
	for i := range 3 {
		if err := s.CreateTimelineEvent(ctx, &store.TimelineEvent{ProjectUUID: p.UUID, EventName: "x", Description: "d",
			ExtraData: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateTimelineEvent(ctx, &store.TimelineEvent{EventName: "site"}); err != nil {
		t.Fatal(err)
	}
	evs, total, err := s.ListTimelineEvents(ctx, store.TimelineFilter{ProjectUUIDs: []string{p.UUID}, Page: store.Page{Limit: 2}})
	if err != nil || total != 3 || len(evs) != 2 || evs[0].ExtraData["i"] != float64(2) {
		t.Fatalf("timeline = %+v %d %v", evs, total, err)
	}
	_, total, _ = s.ListTimelineEvents(ctx, store.TimelineFilter{ProjectUUIDs: []string{}, SiteWide: true})
	if total != 1 {
		t.Fatalf("site-wide events = %d", total)
	}
}

// Concurrent read-then-write transactions must not fail with SQLITE_BUSY (immediate transactions).
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				errs <- s.Tx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRow(`SELECT count(*) FROM settings`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(`INSERT INTO settings (key, value, updated_at) VALUES (?, 'v', 'now')
						ON CONFLICT (key) DO UPDATE SET value = excluded.value`, fmt.Sprint("k", g))
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
