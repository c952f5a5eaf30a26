package lifecycle

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

// The idle sweep works from a list read before it acts. An app that stop-all asked to stop meanwhile keeps stop-all's
// reason and gets no second stop job.
func TestIdleSweepLeavesAStopRequestedMeanwhileAlone(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	p := &store.Project{Title: "P", Type: store.TypeProject, Source: "local"}
	if err := st.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	c := &store.Container{ProjectID: p.ID, ProjectUUID: p.UUID}
	c.Title, c.Image, c.MaxIdle = "app", "img", 1
	c.State, c.DesiredState = store.StateRunning, store.StateRunning
	if err := st.CreateContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	m := New(st, nil, nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{InstanceID: "test"})
	m.cancel() // no workers: only what the requests record is looked at
	stale, err := st.GetContainer(ctx, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Now().Add(-time.Hour)
	stale.ReadyAt = &ready

	sys := &store.User{Username: store.SystemUser}
	if err := m.stopQuiet(ctx, sys, c.UUID, "maintenance", nil); err != nil {
		t.Fatal(err)
	}
	reason, err := m.sweepRunning(ctx, stale, time.Now(), sys)
	if err != nil || reason != "" {
		t.Errorf("idle sweep on an app asked to stop meanwhile: %q %v", reason, err)
	}
	if r := m.workers[c.UUID].reason(m); r != "maintenance" {
		t.Errorf("stop reason %q", r)
	}
	if jobs, total, _ := st.ListJobs(ctx, c.UUID, store.Page{}); total != 1 {
		t.Errorf("%d stop jobs: %+v", total, jobs)
	}
}
