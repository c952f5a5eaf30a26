package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// TestAccessLevel: a container's access level is validated against the site setting, changes no Docker container
// (a running app is not marked restart pending), and every change is a timeline event.
func TestAccessLevel(t *testing.T) {
	t.Parallel()
	var site atomic.Pointer[settings.Sharing]
	site.Store(&settings.Sharing{})
	e := newEnv(t, func(o *lifecycle.Options) { o.Sharing = func() settings.Sharing { return *site.Load() } })
	ctx := context.Background()
	patch := func(uuid string, in map[string]any) (*store.Container, error) {
		var li lifecycle.Input
		decode(t, in, &li)
		return e.m.Update(ctx, e.user, uuid, &li)
	}
	fieldError := func(err error) string {
		var ve *lifecycle.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("want a validation error, got %v", err)
		}
		return ve.Fields["access"]
	}

	c := e.create(map[string]any{})
	if c.Access != settings.AccessProject || e.m.View(c).EffectiveAccess != settings.AccessProject {
		t.Fatalf("a new container's access %q", c.Access)
	}
	for _, level := range []string{settings.AccessLink, settings.AccessPublic} {
		if _, err := patch(c.UUID, map[string]any{"access": level}); fieldError(err) == "" {
			t.Fatalf("%s accepted while the site does not allow it", level)
		}
		var li lifecycle.Input
		decode(t, map[string]any{"title": "new " + level, "image": e.image, "access": level}, &li)
		if _, err := e.m.Create(ctx, e.user, e.project, &li); fieldError(err) == "" {
			t.Fatalf("a new container with %s accepted while the site does not allow it", level)
		}
	}

	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(c.UUID, store.StateRunning)
	c, err := patch(c.UUID, map[string]any{"access": settings.AccessSite})
	if err != nil {
		t.Fatal(err)
	}
	if c.Access != settings.AccessSite || c.RestartPending {
		t.Fatalf("after the change to site: access %q restart pending %v", c.Access, c.RestartPending)
	}
	if up, _ := e.m.Upstream(ctx, c.UUID); up.Access != settings.AccessSite {
		t.Fatalf("the proxy's view of the access: %q", up.Access)
	}

	site.Store(&settings.Sharing{AllowPublicAccess: true})
	if c, err = patch(c.UUID, map[string]any{"access": settings.AccessPublic}); err != nil {
		t.Fatal(err)
	}
	if v := e.m.View(c); v.Access != settings.AccessPublic || v.EffectiveAccess != settings.AccessPublic {
		t.Fatalf("public: %q in effect %q", v.Access, v.EffectiveAccess)
	}
	// Turned off: the level stays, behaves as project, and a form that sends it unchanged still saves.
	site.Store(&settings.Sharing{})
	if v := e.m.View(c); v.Access != settings.AccessPublic || v.EffectiveAccess != settings.AccessProject {
		t.Fatalf("public while off: %q in effect %q", v.Access, v.EffectiveAccess)
	}
	if c, err = patch(c.UUID, map[string]any{"access": settings.AccessPublic, "description": "edited while off"}); err != nil {
		t.Fatalf("an unchanged access level refused: %v", err)
	}
	if c.Description != "edited while off" || c.Access != settings.AccessPublic {
		t.Fatalf("after the edit: %q %q", c.Description, c.Access)
	}

	evs, _, err := e.st.ListTimelineEvents(ctx, store.TimelineFilter{ObjectUUID: c.UUID})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, ev := range evs {
		if ev.EventName == "container_access" {
			changes = append(changes, ev.ExtraData["old"].(string)+"→"+ev.ExtraData["new"].(string))
		}
	}
	if len(changes) != 2 || !slices.Contains(changes, "project→site") || !slices.Contains(changes, "site→public") {
		t.Fatalf("access changes in the timeline: %v", changes)
	}
}
