package endurance

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// checkDatabase opens kiosc's database while kiosc does not run and checks SQLite's integrity and the foreign keys.
func checkDatabase(t *testing.T, dataDir string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "kiosc.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
	var violations int
	if err := db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&violations); err != nil || violations != 0 {
		t.Fatalf("foreign_key_check: %d violations %v", violations, err)
	}
}

// killLog is what the requests of one round achieved before kiosc was killed.
type killLog struct {
	mu      sync.Mutex
	created []string // creations kiosc confirmed (201)
	deletes []string // deletions asked for (confirmed or not)
	deleted []string // deletions kiosc confirmed (202)
	// edits holds for each container the values of ROUND it may have: the last one kiosc confirmed and those asked
	// for since, which kiosc may have stored before it was killed.
	edits map[string][]string
}

func (l *killLog) add(f func(*killLog)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// kill -9 of kiosc at random moments of creates, starts, stops, deletes and edits with restarts. After every restart
// kiosc converges: no duplicate or orphaned Docker containers, no lost or half-written records, every confirmed
// change kept, and every job finished or failed with a reason.
func TestKill9(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed>>1))
	k := newInstance(t, "KIOSC_RESYNC_INTERVAL=2s")
	k.start()
	image := dockertest.TestAppImage(t)
	p := k.project()
	list := func() []dockertest.Container {
		return dockertest.ListContainers(t, dockertest.Client(t), "kiosc.instance="+k.id)
	}
	log := &killLog{edits: map[string][]string{}}
	n := 0
	create := func(start bool) {
		n++
		in := map[string]any{"title": fmt.Sprintf("k9 %03d", n), "image": image, "container_port": dockertest.AppPort,
			"heartbeat_url": "/health", "environment": map[string]string{"ROUND": "0"}}
		status, b, err := k.call("POST", "/api/v1/projects/"+p+"/containers", in)
		if err != nil || status != http.StatusCreated {
			return
		}
		var c container
		if json.Unmarshal(b, &c) != nil {
			return
		}
		log.add(func(l *killLog) { l.created = append(l.created, c.UUID) })
		if start {
			_, _, _ = k.call("POST", "/api/v1/containers/"+c.UUID+"/start", nil)
		}
	}
	for range 3 {
		create(true)
	}

	const rounds = 20
	for round := range rounds {
		cs, err := k.containers()
		if err != nil {
			t.Fatal(err)
		}
		pick := func(states ...string) string {
			var ids []string
			for _, c := range cs {
				if slices.Contains(states, c.State) {
					ids = append(ids, c.UUID)
				}
			}
			if len(ids) == 0 {
				return ""
			}
			return ids[rnd.IntN(len(ids))]
		}
		var op string
		var do func()
		switch round % 5 {
		case 0:
			op, do = "create and start", func() { create(true) }
		case 1:
			id := pick("running")
			op, do = "stop "+id, func() { _, _, _ = k.call("POST", "/api/v1/containers/"+id+"/stop", nil) }
		case 2:
			id := pick("stopped", "exited", "initial")
			op, do = "start "+id, func() { _, _, _ = k.call("POST", "/api/v1/containers/"+id+"/start", nil) }
		case 3:
			id := pick("running", "stopped", "exited", "initial")
			op, do = "delete "+id, func() {
				log.add(func(l *killLog) { l.deletes = append(l.deletes, id) })
				if status, _, err := k.call("DELETE", "/api/v1/containers/"+id, nil); err == nil && status == http.StatusAccepted {
					log.add(func(l *killLog) { l.deleted = append(l.deleted, id) })
				}
			}
		case 4:
			id := pick("running")
			value := fmt.Sprint(round)
			op, do = "edit and restart "+id, func() {
				log.add(func(l *killLog) { l.edits[id] = append(l.edits[id], value) })
				status, _, err := k.call("PATCH", "/api/v1/containers/"+id, map[string]any{"environment": map[string]string{"ROUND": value}})
				if err != nil || status != http.StatusOK {
					return
				}
				log.add(func(l *killLog) { l.edits[id] = []string{value} })
				_, _, _ = k.call("POST", "/api/v1/containers/"+id+"/restart", nil)
			}
		}
		if strings.HasSuffix(op, " ") {
			op, do = "create", func() { create(false) }
		}
		delay := time.Duration(rnd.IntN(1500)) * time.Millisecond
		done := make(chan struct{})
		go func() { defer close(done); do() }()
		time.Sleep(delay)
		k.kill()
		<-done
		t.Logf("round %d: %s, killed after %v", round, op, delay)
		checkDatabase(t, k.dataDir)
		k.start()
		converge(t, k, list, log)
	}
	cs, err := k.containers()
	if err != nil {
		t.Fatal(err)
	}
	interrupted, done := 0, 0
	for _, c := range cs {
		var jobs struct {
			Items []struct{ State, Message string }
		}
		k.mustJSON("GET", "/api/v1/containers/"+c.UUID+"/jobs?limit=500", nil, &jobs, http.StatusOK)
		for _, j := range jobs.Items {
			switch {
			case j.State == "failed" && strings.Contains(j.Message, "restart of kiosc"):
				interrupted++
			case j.State == "done":
				done++
			}
		}
	}
	t.Logf("%d containers; their jobs: %d done, %d interrupted by a kill and marked failed", len(cs), done, interrupted)
}

// converge waits until kiosc has settled after a restart and checks it against Docker and what was confirmed.
func converge(t *testing.T, k *instance, list func() []dockertest.Container, log *killLog) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var why string
	for time.Now().Before(deadline) {
		why = settledWithDocker(t, k, list, log)
		if why == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kiosc did not settle after the restart: %s", why)
}

// settledWithDocker returns "" when kiosc is settled and agrees with Docker and the log, else what does not (yet).
func settledWithDocker(t *testing.T, k *instance, list func() []dockertest.Container, log *killLog) string {
	t.Helper()
	cs, err := k.containers()
	if err != nil {
		return err.Error()
	}
	docker := map[string][]string{}
	running := map[string]bool{}
	for _, d := range list() {
		id := d.Labels["kiosc.container"]
		docker[id] = append(docker[id], d.ID)
		running[d.ID] = d.State == "running"
	}
	byID := map[string]container{}
	for _, c := range cs {
		byID[c.UUID] = c
		switch c.State {
		case "pulling", "creating", "starting", "stopping", "deleting", "unknown":
			return c.String() + " still on its way"
		case "failed":
			t.Fatalf("failed after a restart of kiosc: %v", c)
		}
		if c.DesiredState == "running" && c.State != "running" {
			return c.String() + " should run"
		}
		ids := docker[c.UUID]
		if len(ids) > 1 {
			return fmt.Sprintf("%v: %d Docker containers", c, len(ids))
		}
		if c.State == "running" && (len(ids) != 1 || c.DockerID == nil || *c.DockerID != ids[0] || !running[ids[0]]) {
			return fmt.Sprintf("%v: Docker has %v", c, ids)
		}
		if c.State != "running" && len(ids) == 1 && running[ids[0]] {
			return fmt.Sprintf("%v: its Docker container runs", c)
		}
		var jobs struct {
			Items []struct {
				Action, State, Message string
			}
		}
		status, b, err := k.call("GET", "/api/v1/containers/"+c.UUID+"/jobs?limit=500", nil)
		if err != nil || status != http.StatusOK || json.Unmarshal(b, &jobs) != nil {
			return fmt.Sprintf("jobs of %v: %d %v", c, status, err)
		}
		for _, j := range jobs.Items {
			switch {
			case j.State == "queued" || j.State == "running":
				return fmt.Sprintf("%v: job %s %s", c, j.Action, j.State)
			case j.State == "failed" && j.Message == "":
				t.Fatalf("%v: job %s failed without a reason", c, j.Action)
			}
		}
	}
	for id, ids := range docker {
		if _, ok := byID[id]; !ok {
			return fmt.Sprintf("orphaned Docker containers %v of %s", ids, id)
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, id := range log.created {
		if _, ok := byID[id]; !ok && !slices.Contains(log.deletes, id) {
			t.Fatalf("record %s lost (its creation was confirmed)", id)
		}
	}
	for _, id := range log.deleted {
		if c, ok := byID[id]; ok {
			return fmt.Sprintf("%v still there after its confirmed deletion", c)
		}
	}
	for id, values := range log.edits {
		if _, ok := byID[id]; !ok {
			continue
		}
		var full struct{ Environment map[string]string }
		status, b, err := k.call("GET", "/api/v1/containers/"+id, nil)
		if err != nil || status != http.StatusOK || json.Unmarshal(b, &full) != nil {
			return fmt.Sprintf("get %s: %d %v", id, status, err)
		}
		if !slices.Contains(values, full.Environment["ROUND"]) {
			t.Fatalf("%s: ROUND=%s, want one of %v (the last confirmed edit or a later one)", id, full.Environment["ROUND"], values)
		}
	}
	return ""
}
