package lifecycle_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// lateOOM is the real engine as Engine 20.10 can behave on a busy host: State.OOMKilled is never set and the oom
// event arrives well after the exit. The engine itself sometimes misses an OOM kill (containerd reads the cgroup's
// notification after the cgroup is gone); the test is about kiosc's handling of the late event, so an exit 137 the
// engine sent no oom event for gets one, as late as the held ones.
type lateOOM struct {
	*docker.Client
	delay time.Duration
}

func (l *lateOOM) Inspect(ctx context.Context, id string) (*docker.ContainerInfo, error) {
	info, err := l.Client.Inspect(ctx, id)
	if info != nil {
		info.OOMKilled = false
	}
	return info, err
}

func (l *lateOOM) Events(ctx context.Context, since time.Time, labels ...string) (<-chan docker.Event, <-chan error) {
	in, errc := l.Client.Events(ctx, since, labels...)
	out := make(chan docker.Event, 64)
	go func() {
		defer close(out)
		var held []docker.Event
		var due <-chan time.Time
		sawOOM := map[string]bool{}
		hold := func(e docker.Event) {
			held = append(held, e)
			if due == nil {
				due = time.After(l.delay)
			}
		}
		send := func(e docker.Event) bool {
			select {
			case out <- e:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			select {
			case e, ok := <-in:
				if !ok {
					return
				}
				if e.Action == "oom" {
					sawOOM[e.ContainerID] = true
					hold(e)
					continue
				}
				if e.Action == "die" && e.ExitCode == "137" && !sawOOM[e.ContainerID] {
					hold(docker.Event{ContainerID: e.ContainerID, Action: "oom", Labels: e.Labels, Time: e.Time})
				}
				if !send(e) {
					return
				}
			case <-due:
				for _, e := range held {
					if !send(e) {
						return
					}
				}
				held, due = nil, nil
			}
		}
	}()
	return out, errc
}

// An OOM kill whose signs come late is shown as an exit at once and amended to oom_killed when the oom event
// arrives, on the live channel too.
func TestLateOOMEventAmendsTheExit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.stop()
	e.startManagerWith(&lateOOM{Client: e.dk, delay: 2 * time.Second})
	ctx := context.Background()
	c := e.create(map[string]any{"environment": map[string]any{"MEMORY_HOG_MB": "64"}, "memory_limit": 16 << 20})
	sub := e.bus.Subscribe(256, func(ev events.Event) bool { return ev.Type == events.TypeContainerState && ev.Key == c.UUID })
	defer e.bus.Unsubscribe(sub)
	if _, err := e.m.Start(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	var exitedAt time.Time
	var seen []string
	deadline := time.After(90 * time.Second)
	for done := false; !done; {
		select {
		case <-deadline:
			got, _ := e.st.GetContainer(ctx, c.UUID)
			evs, _, _ := e.st.ListContainerEvents(ctx, c.UUID, store.Page{})
			var what []string
			for _, ev := range evs {
				what = append(what, ev.Message)
			}
			t.Fatalf("no amendment on the live channel; exits seen: %v; record %+v; events %q", seen, got.ContainerState, what)
		case ev := <-sub.C():
			v := ev.Data.(lifecycle.View)
			if v.State != store.StateExited {
				continue
			}
			seen = append(seen, v.StateReason)
			switch {
			case v.StateReason == "crashed" && exitedAt.IsZero():
				exitedAt = time.Now()
				if v.OOMKilled || v.ExitCode == nil || *v.ExitCode != 137 {
					t.Errorf("first report of the exit: %+v", v)
				}
			case v.StateReason == "oom_killed":
				if exitedAt.IsZero() {
					t.Fatalf("the exit was held back until the oom event came: %v", seen)
				}
				if !v.OOMKilled || !strings.Contains(v.StateMessage, "out of memory") {
					t.Errorf("amended state: %+v", v)
				}
				done = true
			}
		}
	}
	got, _ := e.st.GetContainer(ctx, c.UUID)
	if got.State != store.StateExited || got.StateReason != "oom_killed" || !got.OOMKilled || got.DesiredState != store.StateStopped {
		t.Errorf("record: %+v", got.ContainerState)
	}
	evs := timelineOf(t, e, c.UUID, "container_oom")
	if len(evs) != 1 || evs[0].Status != store.StatusFailed || evs[0].ExtraData["oom_killed"] != true {
		t.Errorf("container_oom events: %+v", evs)
	}
	if !slices.ContainsFunc(timelineOf(t, e, c.UUID, "container_crash"), func(ev *store.TimelineEvent) bool {
		return ev.ExtraData["exit_code"] == float64(137)
	}) {
		t.Error("the exit itself is not in the timeline")
	}
}
