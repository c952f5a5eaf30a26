package sharing_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// recorder keeps the timeline events it is given.
type recorder struct {
	mu  sync.Mutex
	evs []*store.TimelineEvent
}

func (r *recorder) Record(_ context.Context, e *store.TimelineEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) named(name string) []*store.TimelineEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*store.TimelineEvent
	for _, e := range r.evs {
		if e.EventName == name {
			out = append(out, e)
		}
	}
	return out
}

type env struct {
	st  *store.Store
	tl  *recorder
	svc *sharing.Service
	p   *store.Project
	su  *store.User
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	p := &store.Project{UUID: "p-sharing", Title: "Sharing", Type: store.TypeProject, Source: "local"}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	tl := &recorder{}
	svc, err := sharing.New(ctx, st, tl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, tl: tl, svc: svc, p: p, su: &store.User{Username: "root", IsSuperuser: true}}
}

func (e *env) container(t *testing.T, title, access string) *store.Container {
	t.Helper()
	c := &store.Container{ProjectID: e.p.ID, ProjectUUID: e.p.UUID,
		Container: settings.Container{Title: title, Image: "nginx:1", ContainerPort: 80, Access: access}, CreatedBy: "alice"}
	if err := e.st.CreateContainer(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// The site setting starts with both kinds of sharing off, survives a restart of the service (it lives in the
// database), and every real change is one timeline event naming the apps whose access now behaves differently.
func TestSiteSetting(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if got := e.svc.Site(); got != (settings.Sharing{}) {
		t.Fatalf("fresh site setting: %+v", got)
	}
	link := e.container(t, "link app", settings.AccessLink)
	public := e.container(t, "public app", settings.AccessPublic)
	e.container(t, "project app", settings.AccessProject)

	steps := []struct {
		name     string
		change   sharing.SiteChange
		want     settings.Sharing
		affected []string
		events   int
	}{
		{"allow links", sharing.SiteChange{AllowLinkAccess: ptr(true)},
			settings.Sharing{AllowLinkAccess: true}, []string{link.UUID}, 1},
		{"the same again changes nothing", sharing.SiteChange{AllowLinkAccess: ptr(true)},
			settings.Sharing{AllowLinkAccess: true}, nil, 1},
		{"an empty change changes nothing", sharing.SiteChange{},
			settings.Sharing{AllowLinkAccess: true}, nil, 1},
		{"allow public, links stay", sharing.SiteChange{AllowPublicAccess: ptr(true)},
			settings.Sharing{AllowLinkAccess: true, AllowPublicAccess: true}, []string{public.UUID}, 2},
		{"both off", sharing.SiteChange{AllowLinkAccess: ptr(false), AllowPublicAccess: ptr(false)},
			settings.Sharing{}, []string{link.UUID, public.UUID}, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got, affected, err := e.svc.UpdateSite(ctx, e.su, s.change)
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want || e.svc.Site() != s.want {
				t.Errorf("setting: returned %+v, held %+v, want %+v", got, e.svc.Site(), s.want)
			}
			var uuids []string
			for _, a := range affected {
				uuids = append(uuids, a.UUID)
				if a.Effective != s.want.Effective(a.Access) {
					t.Errorf("affected %s: effective %q, want %q", a.Title, a.Effective, s.want.Effective(a.Access))
				}
			}
			if strings.Join(uuids, ",") != strings.Join(s.affected, ",") {
				t.Errorf("affected: %v, want %v", uuids, s.affected)
			}
			if n := len(e.tl.named(sharing.EventSiteSettings)); n != s.events {
				t.Errorf("%d site_settings_update events, want %d", n, s.events)
			}
		})
	}
	last := e.tl.named(sharing.EventSiteSettings)[2]
	if last.Username != "root" || !strings.Contains(last.Description, "link access turned off") ||
		!strings.Contains(last.Description, "(2 apps affected)") {
		t.Errorf("last event: %+v", last)
	}

	if _, _, err := e.svc.UpdateSite(ctx, e.su, sharing.SiteChange{AllowPublicAccess: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	again, err := sharing.New(ctx, e.st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Site(); got != (settings.Sharing{AllowPublicAccess: true}) {
		t.Errorf("after a restart: %+v", got)
	}
}

// A nil service (sharing not wired) allows nothing.
func TestNilServiceAllowsNothing(t *testing.T) {
	var s *sharing.Service
	if got := s.Site(); got != (settings.Sharing{}) {
		t.Errorf("nil service: %+v", got)
	}
}

func TestLinkInputValidate(t *testing.T) {
	cases := []struct {
		name  string
		in    sharing.LinkInput
		field string
	}{
		{"empty is fine", sharing.LinkInput{}, ""},
		{"a name and a week", sharing.LinkInput{Name: "for the reviewers", ExpiresIn: 7 * 24 * time.Hour}, ""},
		{"longest name", sharing.LinkInput{Name: strings.Repeat("é", sharing.MaxLinkName)}, ""},
		{"name too long", sharing.LinkInput{Name: strings.Repeat("a", sharing.MaxLinkName+1)}, "name"},
		{"control character", sharing.LinkInput{Name: "a\x00b"}, "name"},
		{"negative lifetime", sharing.LinkInput{ExpiresIn: -time.Second}, "expires_in"},
		{"lifetime too long", sharing.LinkInput{ExpiresIn: sharing.MaxLinkLifetime + time.Second}, "expires_in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := c.in.Validate()
			switch {
			case c.field == "" && len(errs) > 0:
				t.Errorf("unexpected errors: %v", errs)
			case c.field != "" && (len(errs) != 1 || errs[c.field] == ""):
				t.Errorf("want one error on %s, got %v", c.field, errs)
			}
		})
	}
}

// Links are made only for apps whose effective access is link; the secret is shown once, stored only as a hash,
// opens the link until it is revoked, and every creation and revocation is in the timeline.
func TestLinks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	app := e.container(t, "shared app", settings.AccessLink)
	other := e.container(t, "other app", settings.AccessLink)
	project := e.container(t, "project app", settings.AccessProject)

	if _, _, err := e.svc.CreateLink(ctx, e.su, app, sharing.LinkInput{}); !errors.Is(err, sharing.ErrLinkAccessOff) {
		t.Fatalf("link while the site does not allow links: %v", err)
	}
	if _, _, err := e.svc.UpdateSite(ctx, e.su, sharing.SiteChange{AllowLinkAccess: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateLink(ctx, e.su, project, sharing.LinkInput{}); !errors.Is(err, sharing.ErrLinkAccessOff) {
		t.Fatalf("link to a project app: %v", err)
	}

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sharing.SetClock(e.svc, func() time.Time { return now })
	l, secret, err := e.svc.CreateLink(ctx, e.su, app, sharing.LinkInput{Name: "  reviewers  ", ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, sharing.LinkPrefix) || !strings.HasPrefix(secret, l.Prefix) || len(secret) < 40 {
		t.Errorf("secret %q, prefix %q", secret, l.Prefix)
	}
	if l.Name != "reviewers" || l.ExpiresAt == nil || !l.ExpiresAt.Equal(now.Add(time.Hour)) || l.CreatedBy != "root" {
		t.Errorf("link: %+v", l)
	}
	if strings.Contains(l.SecretHash, secret) || l.SecretHash == "" {
		t.Errorf("the secret is not stored as a hash: %q", l.SecretHash)
	}
	if evs := e.tl.named(sharing.EventLinkCreate); len(evs) != 1 || evs[0].ObjectUUID != app.UUID ||
		!strings.Contains(evs[0].Description, "valid until 2026-03-01T13:00:00Z") {
		t.Errorf("link_create events: %+v", evs)
	}

	for _, bad := range []string{"", "kl_", "not-a-link", sharing.LinkPrefix + "wrong", secret + "x", strings.Repeat("k", 200)} {
		if _, err := e.svc.LinkBySecret(ctx, bad); !errors.Is(err, sharing.ErrNotFound) {
			t.Errorf("LinkBySecret(%q): %v", bad, err)
		}
	}
	later := now.Add(10 * time.Minute)
	sharing.SetClock(e.svc, func() time.Time { return later })
	got, err := e.svc.LinkBySecret(ctx, secret)
	if err != nil || got.ID != l.ID || got.UsedAt == nil || !got.UsedAt.Equal(later) {
		t.Fatalf("LinkBySecret: %+v, %v", got, err)
	}
	list, err := e.svc.Links(ctx, app.UUID)
	if err != nil || len(list) != 1 || list[0].UsedAt == nil {
		t.Fatalf("links: %+v, %v", list, err)
	}

	if err := e.svc.RevokeLink(ctx, e.su, other, l.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("revoking through another app: %v", err)
	}
	if err := e.svc.RevokeLink(ctx, e.su, app, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LinkBySecret(ctx, secret); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("a revoked link still opens: %v", err)
	}
	if _, err := e.svc.Link(ctx, l.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("a revoked link is still found by ID: %v", err)
	}
	if err := e.svc.RevokeLink(ctx, e.su, app, l.ID); !errors.Is(err, sharing.ErrNotFound) {
		t.Errorf("revoking twice: %v", err)
	}
	if evs := e.tl.named(sharing.EventLinkRevoke); len(evs) != 1 || evs[0].ExtraData["link"] != l.ID {
		t.Errorf("link_revoke events: %+v", evs)
	}
}
