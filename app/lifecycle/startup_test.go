package lifecycle_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// TestStartupDiagnostics starts the test app (EXPOSE 8080, listening on 8080) with the wrong container port and a
// short startup timeout. While it waits, the probe step says where kiosc asks and, after a third of the timeout, what
// it found; the failure then says in words which port did not answer and which one the app uses, and records no exit
// code (the one of kiosc's own stop says nothing about the app). The image's ports are kept on the container.
func TestStartupDiagnostics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(map[string]any{"container_port": 9999, "heartbeat_url": "", "startup_timeout": 6})
	sub := e.bus.Subscribe(10000, func(ev events.Event) bool { return ev.Key == c.UUID })
	t.Cleanup(func() { e.bus.Unsubscribe(sub) })
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	evs := collectUntil(t, sub, store.StateFailed, store.StateRunning)

	var probes []*store.ProbeStatus
	for _, ev := range evs {
		if ev.Type == events.TypeJobProgress && ev.Data.Step == "probe" && ev.Data.Progress != nil && ev.Data.Progress.Probe != nil {
			probes = append(probes, ev.Data.Progress.Probe)
		}
	}
	if len(probes) < 2 {
		t.Fatalf("probe step reported %d times, want the start and at least one look: %+v", len(probes), evs)
	}
	first, last := probes[0], probes[len(probes)-1]
	if first.Port != 9999 || first.Path != "/" || first.TimeoutSeconds != 6 || first.LastResult != "" ||
		first.Deadline.Sub(first.StartedAt).Seconds() != 6 || !slices.Equal(first.ExposedPorts, []int{8080}) {
		t.Errorf("first probe status %+v", first)
	}
	if last.CheckedAt == nil || last.LastResult == "" || !strings.Contains(last.Hint, "no answer yet on port 9999") {
		t.Errorf("probe status after a look: %+v", last)
	}
	if last.ListeningKnown {
		if !slices.Equal(last.ListeningPorts, []int{8080}) || len(last.LoopbackPorts) != 0 {
			t.Errorf("listening ports %v (loopback %v), want [8080]", last.ListeningPorts, last.LoopbackPorts)
		}
	} else {
		t.Log("kiosc cannot read the container's listening ports here (not on the Docker host)")
	}

	got := e.waitState(c.UUID, store.StateFailed)
	want := "no answer on port 9999 after 6 seconds; the image exposes port 8080"
	if !strings.HasPrefix(got.StateMessage, want) || got.StateReason != "startup_timeout" {
		t.Errorf("state %s/%s %q, want the message to begin %q", got.State, got.StateReason, got.StateMessage, want)
	}
	if last.ListeningKnown && !strings.HasSuffix(got.StateMessage, "; the app listens on port 8080; set the container port to 8080") {
		t.Errorf("message %q does not name the port the app listens on", got.StateMessage)
	}
	e.wait(c.UUID, "stopped in Docker", func(c *store.Container) bool { return c.DockerState == "exited" })
	got, err := e.st.GetContainer(ctx, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExitCode != nil {
		t.Errorf("exit code %d recorded for kiosc's own stop", *got.ExitCode)
	}
	if !slices.Equal(got.ImagePorts, []int{8080}) {
		t.Errorf("image ports %v, want [8080]", got.ImagePorts)
	}
	if v := e.m.View(got); !slices.Equal(v.ImagePorts, []int{8080}) {
		t.Errorf("view image_ports %v", v.ImagePorts)
	}
}

// TestStartupDiagnosticsHTTPError waits for an app that listens but answers 503: the look says so, and so does the
// failure, which points at the app path and the probe instead of the port.
func TestStartupDiagnosticsHTTPError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.create(map[string]any{"environment": map[string]any{"NEVER_READY": "1"}, "startup_timeout": 4})
	if _, err := e.m.Start(context.Background(), e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	got := e.waitState(c.UUID, store.StateFailed)
	want := "the app answered on port 8080 with HTTP 503 at /health until the startup timeout of 4 seconds"
	if !strings.HasPrefix(got.StateMessage, want) {
		t.Errorf("message %q, want it to begin %q", got.StateMessage, want)
	}
}
