package lifecycle_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

func TestPullAndStartFailuresAndLogRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) { o.LogRetentionLines = 20 })
	ctx := context.Background()
	// Nothing listens on this registry port: the pull fails at once.
	pull := e.create(map[string]any{"image": "127.0.0.1:1/kiosc/missing:1", "registry_auth": map[string]any{"username": "u", "password": "registry-pw"}})
	start := e.create(map[string]any{"command": "-port 8080", "environment": map[string]any{}})
	// An entrypoint that does not exist in the image: Docker refuses to start it.
	bad := e.create(map[string]any{"command": "#!/does/not/exist\n"})
	chatty := e.create(map[string]any{"environment": map[string]any{"LOG_EVERY": "20ms"}})
	for _, c := range []*store.Container{pull, start, bad, chatty} {
		if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
	}
	c := e.waitState(pull.UUID, store.StateFailed)
	// Guests see the cause in words; the engine's text, which tells what answers at 127.0.0.1:1, is the state detail.
	if c.StateReason != "pull_failed" || !strings.HasPrefix(c.StateMessage, "registry unreachable: the Docker host could not connect to 127.0.0.1:1") ||
		c.DesiredState != store.StateStopped {
		t.Errorf("pull: %+v", c.ContainerState)
	}
	if !strings.Contains(c.StateDetail, "127.0.0.1:1") || !strings.Contains(c.StateDetail, "connection refused") {
		t.Errorf("pull detail %q", c.StateDetail)
	}
	if v := lifecycle.NewView(c, routing.Apps{Mode: routing.Path}, settings.Sharing{}); v.StateMessage != c.StateMessage || v.StateDetail != c.StateDetail {
		t.Errorf("view: %+v", v)
	}
	if strings.Contains(c.StateMessage+c.StateDetail, "registry-pw") {
		t.Error("registry password in the state message or detail")
	}
	jobs, _, _ := e.st.ListJobs(ctx, pull.UUID, store.Page{})
	if len(jobs) != 1 || jobs[0].State != store.JobFailed || jobs[0].Step != "pull" || jobs[0].Message != c.StateMessage {
		t.Errorf("pull job: %+v", jobs[0])
	}
	events, _, _ := e.st.ListContainerEvents(ctx, pull.UUID, store.Page{})
	for _, ev := range events {
		if strings.Contains(ev.Message, "dial tcp") || strings.Contains(ev.Message, "/v2/") {
			t.Errorf("event with the engine's text: %q", ev.Message)
		}
	}
	e.waitState(start.UUID, store.StateRunning)
	// Depending on when runc notices the missing interpreter, Docker either refuses the start (failed/start_failed)
	// or starts the container, which then exits at once (exited/crashed with a non-zero code). Both must be visible.
	c = e.wait(bad.UUID, "failed or exited", func(c *store.Container) bool {
		return c.State == store.StateFailed || c.State == store.StateExited
	})
	switch {
	case c.StateMessage == "" || c.DesiredState != store.StateStopped:
		t.Errorf("bad entrypoint: %+v", c.ContainerState)
	case c.State == store.StateFailed && (c.StateReason != "start_failed" ||
		!strings.HasPrefix(c.StateMessage, "the command could not be run") || !strings.Contains(c.StateDetail, "/does/not/exist")):
		t.Errorf("bad entrypoint: %+v", c.ContainerState)
	case c.State == store.StateExited && (c.StateReason != "crashed" || c.ExitCode == nil || *c.ExitCode == 0):
		t.Errorf("bad entrypoint: %+v", c.ContainerState)
	}
	e.waitState(chatty.UUID, store.StateRunning)
	time.Sleep(2 * time.Second) // ~100 lines, well over the retention
	lines, err := e.m.Logs(ctx, chatty.UUID, time.Time{}, 0)
	if err != nil || len(lines) == 0 || len(lines) > 20+500 {
		t.Fatalf("%d lines, %v", len(lines), err)
	}
	e.wait(chatty.UUID, "trimmed to the retention", func(*store.Container) bool {
		lines, _ = e.m.Logs(ctx, chatty.UUID, time.Time{}, 0)
		return len(lines) <= 20 && len(lines) > 0
	})
	if !strings.HasPrefix(lines[len(lines)-1].Line, "tick") && !strings.HasPrefix(lines[len(lines)-1].Line, "tock") {
		t.Errorf("last line %q", lines[len(lines)-1].Line)
	}
}
