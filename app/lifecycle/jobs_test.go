package lifecycle_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// heldImageCheck holds every image check until released, so a start stays in progress.
type heldImageCheck struct {
	*docker.Client
	release chan struct{}
}

func (h *heldImageCheck) ImageExists(ctx context.Context, ref string) (bool, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return h.Client.ImageExists(ctx, ref)
}

// A job left unfinished by an earlier process is marked failed when kiosc starts again; a job of a request the new
// process accepted before its reconciler ran (kiosc serves first) is its own, and finishes.
func TestRestartFailsOnlyTheEarlierProcessesJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	old := e.create(nil)
	e.stop()
	// What an earlier process left behind: a job that never finished.
	orphanJob := &store.Job{ContainerUUID: old.UUID, Action: "start", Username: e.user.Username, State: store.JobRunning}
	if err := e.st.CreateJob(ctx, orphanJob); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)

	h := &heldImageCheck{Client: e.dk, release: make(chan struct{})}
	m := lifecycle.New(e.st, h, e.keys, e.bus, e.tl, slog.New(slog.NewTextHandler(io.Discard, nil)), e.opts)
	e.m = m
	c := e.create(nil)
	if _, err := m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	jobs, _, _ := e.st.ListJobs(ctx, c.UUID, store.Page{})
	if len(jobs) != 1 {
		t.Fatalf("jobs %+v", jobs)
	}
	mine := jobs[0]
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(rctx) }()
	e.stop = func() { cancel(); <-done }
	e.wait(old.UUID, "the earlier job failed", func(*store.Container) bool {
		j, err := e.st.GetJob(ctx, orphanJob.UUID)
		return err == nil && j.State == store.JobFailed
	})
	if j, _ := e.st.GetJob(ctx, mine.UUID); j.State == store.JobFailed {
		t.Fatalf("the new process's own job was marked failed: %+v", j)
	}
	close(h.release)
	e.waitState(c.UUID, store.StateRunning)
	e.wait(c.UUID, "job done", func(*store.Container) bool {
		j, err := e.st.GetJob(ctx, mine.UUID)
		return err == nil && j.State == store.JobDone
	})
}
