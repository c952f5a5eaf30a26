package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
)

func newContainer(t *testing.T, s *store.Store, title string) *store.Container {
	t.Helper()
	ctx := context.Background()
	p, err := s.GetProjectByUUID(ctx, "p-containers")
	if errors.Is(err, store.ErrNotFound) {
		p = &store.Project{UUID: "p-containers", Title: "Containers", Type: store.TypeProject, Source: "local"}
		err = s.CreateProject(ctx, p)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Container{ProjectID: p.ID,
		Container: settings.Container{Title: title, Image: "nginx:1", ContainerPort: 80, StripPrefix: true,
			Environment: map[string]string{"A": "1"}}, SecretEnvEnc: "sealed",
		SecretEnvKeys: []string{"TOKEN"}, CreatedBy: "alice"}
	if err := s.CreateContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContainerCRUD(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	c := newContainer(t, s, "app")
	got, err := s.GetContainer(ctx, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ProjectUUID != "p-containers" || got.State != store.StateInitial || got.DesiredState != store.StateStopped ||
		got.Environment["A"] != "1" || got.SecretEnvKeys[0] != "TOKEN" || got.SecretEnvEnc != "sealed" || got.PullPolicy != "if-missing" {
		t.Errorf("round trip: %+v", got)
	}
	dup := &store.Container{ProjectID: c.ProjectID, Container: settings.Container{Title: "app", Image: "x"}}
	if err := s.CreateContainer(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate title: %v", err)
	}
	if !got.CreatedAt.Equal(c.CreatedAt) || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("times returned by the create %v %v differ from those read back %v %v", c.CreatedAt, c.UpdatedAt, got.CreatedAt, got.UpdatedAt)
	}
	got.RestartPending = true
	got.Title = "renamed"
	if err := s.UpdateContainerConfig(ctx, got); err != nil {
		t.Fatal(err)
	}
	// Clients order a record's updates by updated_at: what a write returns is what a read gives.
	if again, _ := s.GetContainer(ctx, c.UUID); !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("updated_at returned %v, read back %v", got.UpdatedAt, again.UpdatedAt)
	}
	code, port, now := 3, 32000, time.Now()
	if _, err := s.UpdateContainerState(ctx, c.UUID, store.ContainerState{State: store.StateExited, StateReason: "crashed",
		StateMessage: "in words", StateDetail: "engine text", DesiredState: store.StateRunning, ExitCode: &code, HostPort: &port,
		StartedAt: &now}, store.StateStopped, false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetContainer(ctx, c.UUID)
	if got.Title != "renamed" || !got.RestartPending || *got.ExitCode != 3 || *got.HostPort != 32000 || got.StartedAt == nil ||
		got.ReadyAt != nil || got.StateMessage != "in words" || got.StateDetail != "engine text" {
		t.Errorf("after updates: %+v", got)
	}
	// A writer that read an older desired state does not overwrite a newer request.
	if err := s.UpdateContainerDesired(ctx, c.UUID, store.StatePaused); err != nil {
		t.Fatal(err)
	}
	out, err := s.UpdateContainerState(ctx, c.UUID, got.ContainerState, store.StateRunning+"-stale", true)
	if err != nil || out.DesiredState != store.StatePaused {
		t.Fatalf("desired state overwritten: %v %v", out.DesiredState, err)
	}
	if err := s.MarkContainerDeleting(ctx, c.UUID); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.GetContainer(ctx, c.UUID); d.StateMessage != "" || d.StateDetail != "" {
		t.Errorf("message or detail kept when marked deleting: %q %q", d.StateMessage, d.StateDetail)
	}
	if out, _ := s.UpdateContainerState(ctx, c.UUID, got.ContainerState, store.StateStopped, false); out.State != store.StateDeleting {
		t.Errorf("deleting overwritten: %s", out.State)
	}
	got, _ = s.GetContainer(ctx, c.UUID)
	if got.RestartPending {
		t.Error("restart_pending not cleared")
	}
	if err := s.UpdateContainerAccess(ctx, map[string]time.Time{c.UUID: now}); err != nil {
		t.Fatal(err)
	}
	newContainer(t, s, "other")
	list, total, err := s.ListContainers(ctx, store.ContainerFilter{State: store.StateDeleting})
	if err != nil || total != 1 || len(list) != 1 || list[0].LastAccessAt == nil {
		t.Errorf("list by state: %d %v %v", total, list, err)
	}
	list, total, _ = s.ListContainers(ctx, store.ContainerFilter{ProjectUUIDs: []string{}})
	if total != 0 || len(list) != 0 {
		t.Errorf("empty project filter: %d", total)
	}
	if err := s.DeleteContainer(ctx, c.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetContainer(ctx, c.UUID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestJobsAndEvents(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	c := newContainer(t, s, "app")
	j := &store.Job{ContainerUUID: c.UUID, Action: "start", Username: "alice"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	j.State, j.Step, j.Progress = store.JobRunning, "pull", &store.Progress{Current: 5, Total: 10, Percent: 50}
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetJob(ctx, j.UUID)
	if got.Step != "pull" || got.Progress.Percent != 50 {
		t.Errorf("job: %+v", got)
	}
	// A job created after the process started (the time given) is the new process's own and stays as it is.
	time.Sleep(2 * time.Millisecond) // timestamps are stored in milliseconds
	started := time.Now()
	time.Sleep(2 * time.Millisecond)
	mine := &store.Job{ContainerUUID: c.UUID, Action: "stop", Username: "alice"}
	if err := s.CreateJob(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if n, err := s.FailUnfinishedJobs(ctx, "kiosc restarted", started); err != nil || n != 1 {
		t.Errorf("fail unfinished: %d %v", n, err)
	}
	jobs, total, _ := s.ListJobs(ctx, c.UUID, store.Page{})
	if total != 2 || jobs[1].UUID != j.UUID || jobs[1].State != store.JobFailed || jobs[1].FinishedAt == nil {
		t.Errorf("jobs: %+v", jobs[1])
	}
	if jobs[0].UUID != mine.UUID || jobs[0].State != store.JobQueued || jobs[0].FinishedAt != nil {
		t.Errorf("the new process's job: %+v", jobs[0])
	}
	for i := range 3 {
		if err := s.CreateContainerEvent(ctx, &store.ContainerEvent{ContainerUUID: c.UUID, Message: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, total, _ := s.ListContainerEvents(ctx, c.UUID, store.Page{Limit: 2})
	if total != 3 || len(evs) != 2 || evs[0].Message != "2" || evs[0].Level != store.LevelInfo {
		t.Errorf("events: %d %+v", total, evs)
	}
}

func TestContainerLogsRetention(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for batch := range 3 {
		var lines []store.LogLine
		for i := range 40 {
			n := batch*40 + i
			lines = append(lines, store.LogLine{Time: base.Add(time.Duration(n) * time.Microsecond), Stream: "stdout", Line: fmt.Sprint(n)})
		}
		if err := s.CreateContainerLogs(ctx, "c1", lines, 50); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListContainerLogs(ctx, "c1", time.Time{}, 0)
	if err != nil || len(all) != 50 || all[0].Line != "70" || all[49].Line != "119" {
		t.Fatalf("retention: %d lines, first %v, %v", len(all), all[0].Line, err)
	}
	tail, _ := s.ListContainerLogs(ctx, "c1", time.Time{}, 5)
	if len(tail) != 5 || tail[0].Line != "115" {
		t.Errorf("tail: %v", tail[0].Line)
	}
	since, _ := s.ListContainerLogs(ctx, "c1", base.Add(117*time.Microsecond), 0)
	if len(since) != 2 {
		t.Errorf("since: %d", len(since))
	}
	last, _ := s.LastContainerLogTime(ctx, "c1")
	if !last.Equal(base.Add(119 * time.Microsecond)) {
		t.Errorf("last time %v", last)
	}
}
