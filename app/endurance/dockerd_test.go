package endurance

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// byRecord groups Docker containers by the kiosc container they belong to.
func byRecord(list []dockertest.Container) map[string][]string {
	out := map[string][]string{}
	for _, c := range list {
		out[c.Labels["kiosc.container"]] = append(out[c.Labels["kiosc.container"]], c.ID)
	}
	return out
}

// stateLog polls the API and records every state each container shows, and /readyz.
type stateLog struct {
	mu     sync.Mutex
	states map[string][]string // uuid → distinct states in the order seen
	ready  []int
	stop   chan struct{}
	done   chan struct{}
}

func watchStates(k *instance) *stateLog {
	l := &stateLog{states: map[string][]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			if cs, err := k.containers(); err == nil {
				l.mu.Lock()
				for _, c := range cs {
					s := l.states[c.UUID]
					if len(s) == 0 || s[len(s)-1] != c.State {
						l.states[c.UUID] = append(s, c.State)
					}
				}
				l.mu.Unlock()
			}
			r := k.readyz()
			l.mu.Lock()
			if len(l.ready) == 0 || l.ready[len(l.ready)-1] != r {
				l.ready = append(l.ready, r)
			}
			l.mu.Unlock()
			select {
			case <-l.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return l
}

func (l *stateLog) close() {
	close(l.stop)
	<-l.done
}

// A restart of the Docker daemon while apps run and one is starting: during the outage /readyz is 503 and the apps
// are unknown (never failed); when Docker is back kiosc converges within two resync intervals, with no duplicate
// Docker containers and no lost records. What was stopped or had crashed before stays so.
func TestDockerRestart(t *testing.T) {
	e := dockertest.PrivateEngine(t)
	const resync = 5 * time.Second
	k := newInstance(t, "DOCKER_HOST="+e.Host, "KIOSC_HOST_BIND_IP="+e.Addr.String(), fmt.Sprintf("KIOSC_RESYNC_INTERVAL=%s", resync))
	k.start()
	p := k.project()

	var running []container
	for i := range 3 {
		c := k.create(p, e.Image, fmt.Sprintf("running %d", i), nil)
		k.action(c.UUID, "start")
		running = append(running, c)
	}
	stopped := k.create(p, e.Image, "stopped by its user", nil)
	k.action(stopped.UUID, "start")
	crashed := k.create(p, e.Image, "crashed before", map[string]any{"environment": map[string]string{"CRASH_AFTER": "1s", "CRASH_CODE": "3"}})
	k.action(crashed.UUID, "start")
	never := k.create(p, e.Image, "never started", nil)
	for _, c := range append(running, stopped) {
		k.waitState(c.UUID, "running", time.Minute)
	}
	k.action(stopped.UUID, "stop")
	k.waitState(stopped.UUID, "stopped", time.Minute)
	k.waitFor(crashed.UUID, "crashed", time.Minute, func(c container) bool { return c.State == "exited" && c.DesiredState == "stopped" })
	// One app is starting when Docker goes: it takes a minute to answer.
	slow := k.create(p, e.Image, "starting", map[string]any{"environment": map[string]string{"STARTUP_DELAY": "60s"}})
	k.action(slow.UUID, "start")
	k.waitState(slow.UUID, "starting", time.Minute)

	before, err := k.containers()
	if err != nil {
		t.Fatal(err)
	}
	for id, ids := range byRecord(dockertest.ListContainers(t, e.Client, "kiosc.instance="+k.id)) {
		if len(ids) != 1 {
			t.Fatalf("%s has %d Docker containers before the restart", id, len(ids))
		}
	}
	if r := k.readyz(); r != http.StatusOK {
		t.Fatalf("/readyz %d before the restart", r)
	}

	log := watchStates(k)
	defer log.close()
	t.Cleanup(func() {
		if t.Failed() {
			log.mu.Lock()
			defer log.mu.Unlock()
			for id, states := range log.states {
				t.Logf("%s: %v", id, states)
			}
		}
	})
	e.Stop(t)
	down := time.Now()
	withDocker := append(slices.Clone(running), stopped, crashed, slow)
	for _, c := range withDocker {
		k.waitState(c.UUID, "unknown", 2*resync)
	}
	if r := k.readyz(); r != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d while Docker is down", r)
	}
	if c, _ := k.get(never.UUID); c.State != "initial" {
		t.Errorf("a container that never ran: %v", c)
	}
	t.Logf("all unknown %v after Docker went down", time.Since(down).Round(time.Millisecond))
	// They stay unknown while Docker is away.
	for until := time.Now().Add(3 * time.Second); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
		for _, c := range withDocker {
			if got, err := k.get(c.UUID); err != nil || got.State != "unknown" {
				t.Fatalf("while Docker is down: %v %v", got, err)
			}
		}
	}

	e.Start(t)
	back := time.Now()
	converged := func() (bool, string) {
		cs, err := k.containers()
		if err != nil {
			return false, err.Error()
		}
		byID := map[string]container{}
		for _, c := range cs {
			byID[c.UUID] = c
		}
		for _, c := range running {
			if byID[c.UUID].State != "running" {
				return false, byID[c.UUID].String()
			}
		}
		want := map[string][2]string{stopped.UUID: {"stopped", "user"}, crashed.UUID: {"exited", "crashed"}, never.UUID: {"initial", ""}}
		for id, w := range want {
			if c := byID[id]; c.State != w[0] || c.StateReason != w[1] {
				return false, c.String()
			}
		}
		if s := byID[slow.UUID].State; s != "starting" && s != "running" {
			return false, byID[slow.UUID].String()
		}
		docker := byRecord(dockertest.ListContainers(t, e.Client, "kiosc.instance="+k.id))
		for _, c := range cs {
			if n := len(docker[c.UUID]); n > 1 || (c.UUID != never.UUID && n != 1) {
				return false, fmt.Sprintf("%s: %d Docker containers", c, n)
			}
		}
		return true, ""
	}
	var why string
	for {
		ok, w := converged()
		if ok {
			break
		}
		why = w
		if time.Since(back) > 2*resync {
			for _, c := range withDocker {
				if _, body, err := k.call("GET", "/api/v1/containers/"+c.UUID+"/events", nil); err == nil {
					t.Logf("events of %s: %s", c.Title, body)
				}
			}
			t.Fatalf("not converged %v after Docker came back: %s", 2*resync, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("converged %v after Docker came back", time.Since(back).Round(time.Millisecond))
	if r := k.readyz(); r != http.StatusOK {
		t.Errorf("/readyz %d after Docker came back", r)
	}
	after, err := k.containers()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("%d records before the restart, %d after", len(before), len(after))
	}
	for id, ids := range byRecord(dockertest.ListContainers(t, e.Client, "kiosc.instance="+k.id)) {
		if !slices.ContainsFunc(after, func(c container) bool { return c.UUID == id }) {
			t.Errorf("Docker container %v without a record", ids)
		}
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	for id, states := range log.states {
		t.Logf("%s: %v", id, states)
		for _, s := range states {
			if s == "failed" || s == "not_found" {
				t.Errorf("%s showed %s during the restart of Docker: %v", id, s, states)
			}
		}
	}
	if !slices.Contains(log.ready, http.StatusServiceUnavailable) || log.ready[len(log.ready)-1] != http.StatusOK {
		t.Errorf("/readyz over the restart: %v", log.ready)
	}
}
