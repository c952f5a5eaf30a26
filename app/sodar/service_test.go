package sodar_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/store"
)

func TestConcurrentTriggersRunOnce(t *testing.T) {
	e := newEnv(t)
	release := e.src.Hold()
	defer release()
	first := make(chan *store.SodarRun, 1)
	go func() {
		run, err := e.svc.Sync(context.Background(), sodar.TriggerAPI, "admin")
		if err != nil {
			t.Error(err)
		}
		first <- run
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !e.svc.Running() {
		if time.Now().After(deadline) {
			t.Fatal("the first sync never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.svc.Sync(context.Background(), sodar.TriggerAPI, "admin"); !errors.Is(err, sodar.ErrSyncRunning) {
				t.Errorf("overlapping sync: %v, want ErrSyncRunning", err)
			}
		}()
	}
	wg.Wait()
	release()
	if run := <-first; run == nil || run.Status != store.SodarRunOK {
		t.Fatalf("first run %+v", run)
	}
	if _, total, _ := e.st.ListSodarRuns(context.Background(), store.Page{}); total != 1 {
		t.Fatalf("%d runs recorded, want 1", total)
	}
	// Afterwards a new sync runs again.
	if run := e.sync(t); run.Status != store.SodarRunOK {
		t.Fatal(run.Error)
	}
}

func TestFailedRunsAreRecordedWithoutTheSecret(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(100, nil)
	defer e.bus.Unsubscribe(sub)

	for _, tc := range []struct {
		name  string
		setup func()
		want  string
	}{
		{"wrong secret", func() { e.svc.Fetcher = &sodar.Client{URL: e.src.URL, Secret: secret + "x"} }, "401"},
		{"closed port", func() { e.svc.Fetcher = &sodar.Client{URL: unreachableURL(t), Secret: secret} }, "cannot be reached"},
		{"no version", func() {
			e.svc.Fetcher = &sodar.Client{URL: e.src.URL, Secret: secret}
			e.src.SetVersions("0.13.4")
		}, "406"},
		{"not json", func() {
			e.src.SetVersions("2.1")
			e.src.SetRaw([]byte("<html>" + secret + "</html>"))
		}, "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			run := e.sync(t)
			if run.Status != store.SodarRunFailed || !strings.Contains(run.Error, tc.want) {
				t.Fatalf("status %s error %q", run.Status, run.Error)
			}
			if strings.Contains(run.Error, secret) {
				t.Fatalf("run error reveals the secret: %s", run.Error)
			}
		})
	}
	// Nothing was mirrored, everything was recorded, and the secret is nowhere.
	if ps, _ := e.st.ListProjects(context.Background()); len(ps) != 0 {
		t.Fatalf("%d projects after failed runs", len(ps))
	}
	runs, total, _ := e.st.ListSodarRuns(context.Background(), store.Page{})
	if total != 4 {
		t.Fatalf("%d runs", total)
	}
	evs, _, _ := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{})
	failed := 0
	for _, ev := range evs {
		if ev.EventName == "sodar_sync" && ev.Status == store.StatusFailed && ev.ProjectUUID == "" {
			failed++
		}
		if strings.Contains(ev.Description, secret) || strings.Contains(ev.ObjectUUID, secret) {
			t.Fatalf("timeline reveals the secret: %+v", ev)
		}
	}
	if failed != 4 {
		t.Fatalf("%d failed sodar_sync events", failed)
	}
	for _, r := range runs {
		for _, m := range r.Messages {
			if strings.Contains(m.Message, secret) {
				t.Fatal("message reveals the secret")
			}
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, secret) || !strings.Contains(logs, "SODAR sync failed") {
		t.Fatalf("log:\n%s", logs)
	}
	// The failures were published live as site-wide timeline events.
	got := 0
	for len(sub.C()) > 0 {
		ev := <-sub.C()
		if ev.Type == events.TypeTimelineEvent && ev.ProjectUUID == "" {
			got++
		}
	}
	if got != 4 {
		t.Fatalf("%d live events", got)
	}
}

func TestSyncEventsAndRunResult(t *testing.T) {
	e := newEnv(t)
	sub := e.bus.Subscribe(1000, nil)
	defer e.bus.Unsubscribe(sub)
	run := e.sync(t)
	evs, _, _ := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{Page: store.Page{Limit: 500}})
	names := map[string]int{}
	for _, ev := range evs {
		names[ev.EventName]++
	}
	if names["sodar_sync"] != 1 || names["sodar_project_create"] != 5 || names["sodar_user_create"] != 5 || names["sodar_role_create"] != 8 {
		t.Fatalf("events %v", names)
	}
	sync := evs[0]
	if sync.EventName != "sodar_sync" || sync.Status != store.StatusOK || sync.ObjectUUID != run.UUID || sync.ExtraData["version"] != "2.1" {
		t.Fatalf("sodar_sync event %+v", sync)
	}
	live := 0
	for len(sub.C()) > 0 {
		ev := <-sub.C()
		if ev.Type == events.TypeTimelineEvent {
			live++
			if ev.Need != access.ViewContainer {
				t.Fatalf("event need %v", ev.Need)
			}
		}
	}
	if live != len(evs) {
		t.Fatalf("%d live events, %d stored", live, len(evs))
	}
	stored, err := e.st.GetSodarRun(context.Background(), run.UUID)
	if err != nil || stored.Totals != run.Totals || stored.Status != run.Status || stored.FinishedAt == nil || stored.Version != "2.1" {
		t.Fatalf("stored %+v err %v", stored, err)
	}
}

func TestRunSchedulesAndSkipsWhileRunning(t *testing.T) {
	e := newEnv(t)
	e.svc.StartDelay = 10 * time.Millisecond
	e.svc.Interval = 50 * time.Millisecond
	// An interrupted run from a previous process is closed at start.
	stale := &store.SodarRun{Trigger: sodar.TriggerInterval, Username: store.SystemUser}
	if err := e.st.CreateSodarRun(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs, _, _ := e.st.ListSodarRuns(context.Background(), store.Page{Limit: 500})
		ok := 0
		for _, r := range runs {
			if r.Status == store.SodarRunOK {
				ok++
			}
		}
		if ok >= 3 {
			if runs[len(runs)-2].Trigger != sodar.TriggerStart {
				t.Fatalf("first trigger %s", runs[len(runs)-2].Trigger)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d runs", ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if r, _ := e.st.GetSodarRun(context.Background(), stale.UUID); r.Status != store.SodarRunFailed {
		t.Fatalf("stale run %s", r.Status)
	}
}

// A user created by the sync who then signs in by single sign-on is the same account: the sub is bound to it, and
// they see exactly the projects SODAR gave them.
func TestSyncedUserBindsOIDCSubject(t *testing.T) {
	e := newEnv(t)
	e.sync(t)
	ctx := context.Background()
	bob := e.user(t, "bob.jones@example.org")
	if bob.OIDCSubject != "" {
		t.Fatal("sub bound before login")
	}
	// What the login side does for an account of source sodar without a sub.
	bob.OIDCIssuer, bob.OIDCSubject = "https://idp.example.org", "sub-bob"
	if err := e.st.UpdateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	byOIDC, err := e.st.GetUserByOIDC(ctx, "https://idp.example.org", "sub-bob")
	if err != nil || byOIDC.ID != bob.ID {
		t.Fatalf("bound account %v %v", byOIDC, err)
	}
	// A later sync keeps the binding.
	e.sync(t)
	if u := e.user(t, "bob.jones@example.org"); u.OIDCSubject != "sub-bob" || u.Source != store.SourceSodar {
		t.Fatalf("after resync %+v", u)
	}
	checkVisible(t, e, "bob.jones@example.org", map[string]string{genomics: "finder", rareDiseases: "", exome: "delegate"})
	checkVisible(t, e, "alice@EXAMPLE", map[string]string{genomics: "", rareDiseases: "owner", exome: "owner", archive: "", oldPanel: "owner"})
}

// checkVisible asserts the projects a user sees and the role shown for each ("" for a category seen only because of
// a role below it).
func checkVisible(t *testing.T, e *env, username string, want map[string]string) {
	t.Helper()
	u := e.user(t, username)
	visible, roles, err := access.NewChecker(e.st).Visible(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range visible {
		got[p.UUID] = roles[p.UUID]
	}
	if len(got) != len(want) {
		t.Fatalf("%s sees %v, want %v", username, got, want)
	}
	for id, r := range want {
		if g, ok := got[id]; !ok || (r != "" && g != r) {
			t.Fatalf("%s sees %v, want %v", username, got, want)
		}
	}
}
