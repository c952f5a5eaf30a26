package lifecycle_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/store"
)

// checkUpdate runs a check for an update of c and fails the test when the check itself cannot be made.
func (e *env) checkUpdate(c *store.Container) *store.Container {
	e.t.Helper()
	got, err := e.m.CheckUpdate(context.Background(), e.user, c.UUID)
	if err != nil {
		e.t.Fatalf("check %s: %v", c.Title, err)
	}
	return got
}

// jobsOf returns the container's jobs of one action, newest first.
func jobsOf(t *testing.T, e *env, id, action string) []*store.Job {
	t.Helper()
	list, _, err := e.st.ListJobs(context.Background(), id, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(list, func(j *store.Job) bool { return j.Action != action })
}

// waitJob waits until the newest job of the action has finished.
func waitJob(t *testing.T, e *env, id, action string) *store.Job {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if jobs := jobsOf(t, e, id, action); len(jobs) > 0 && jobs[0].FinishedAt != nil {
			return jobs[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no finished %s job of %s", action, id)
	return nil
}

// TestImageUpdates runs v1 of an image from a private registry, pushes v2 under the same tag and checks and updates
// the containers: a check (per container and the daily task) shows the update without changing what runs; a check
// with wrong credentials fails in words and changes nothing; an image pinned by digest and an image built on the
// Docker host never report an update; the update of a running container is one job that pulls with progress while
// the app keeps running and then re-creates it on v2; a stopped container gets v2 for its next start without being
// started; a failed pull leaves the old image running; the timeline keeps the old and the new digest.
func TestImageUpdates(t *testing.T) {
	t.Parallel()
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{Username: "kiosc-puller", Password: "registry-secret",
		BlobBytesPerSecond: 4 << 20})
	const repo, tag = "kiosc-test/updates", "stable"
	small := dockertest.LayeredImage{Layers: 2, LayerSize: 1 << 20, Env: map[string]string{"KIOSC_TEST_IMAGE": "v1"}}
	v1 := reg.PushLayered(t, repo+":"+tag, small)
	v1Digest := reg.ManifestDigest(t, repo, tag)
	e := newEnv(t, nil)
	ctx := context.Background()
	auth := map[string]string{"username": "kiosc-puller", "password": "registry-secret"}
	wrongAuth := map[string]string{"username": "kiosc-puller", "password": "wrong"}

	app := e.start(e.create(map[string]any{"image": v1.Ref, "registry_auth": auth}))
	if app.ImageID != v1.ID || app.ImageDigest != reg.Host+"/"+repo+"@"+v1Digest {
		t.Fatalf("recorded image %q, digest %q; want %s and %s@%s", app.ImageID, app.ImageDigest, v1.ID, reg.Ref(repo), v1Digest)
	}
	view, _ := json.Marshal(e.m.View(app))
	for _, want := range []string{`"image_id":"` + v1.ID + `"`, `"image_digest":"` + app.ImageDigest + `"`,
		`"update_status":"unchecked"`, `"update_available":false`, `"available_digest":null`, `"update_checked_at":null`} {
		if !strings.Contains(string(view), want) {
			t.Errorf("view lacks %s: %s", want, view)
		}
	}
	if c := e.checkUpdate(app); c.UpdateStatus != store.UpdateUpToDate || c.UpdateAvailable || c.UpdateCheckedAt == nil ||
		c.AvailableDigest != app.ImageDigest {
		t.Errorf("check of v1 while v1 is current: %s %v %q %q", c.UpdateStatus, c.UpdateAvailable, c.AvailableDigest, c.UpdateMessage)
	}
	// The engine has v1 now: a container with wrong credentials starts from it without asking the registry.
	wrong := e.start(e.create(map[string]any{"image": v1.Ref, "registry_auth": wrongAuth}))
	pinned := e.start(e.create(map[string]any{"image": reg.Ref(repo) + "@" + v1Digest, "registry_auth": auth}))
	local := e.start(e.create(nil)) // the test app image, built on the Docker host
	stopped := e.start(e.create(map[string]any{"image": v1.Ref, "registry_auth": auth}))
	if _, err := e.m.Stop(ctx, e.user, stopped.UUID); err != nil {
		t.Fatal(err)
	}
	stopped = e.waitState(stopped.UUID, store.StateStopped)

	small.Env = map[string]string{"KIOSC_TEST_IMAGE": "v2"}
	v2 := reg.PushLayered(t, repo+":"+tag, small)
	v2Digest := reg.ManifestDigest(t, repo, tag)
	// The engine keeps v1 under the tag, as after the first pull.
	reg.TagLocal(t, v1.ID, v1.Ref)
	// Layers of v2 downloaded (a check may read the small image configuration, never a layer).
	pulls := func() int {
		n := 0
		for _, q := range reg.Requests() {
			for _, l := range v2.Layers {
				if q.Method == http.MethodGet && strings.HasSuffix(q.Path, "/blobs/"+l.Digest) {
					n++
				}
			}
		}
		return n
	}
	blobsBefore := pulls()

	sub := e.bus.Subscribe(10000, func(ev events.Event) bool { return ev.Key == app.UUID })
	t.Cleanup(func() { e.bus.Unsubscribe(sub) })
	c := e.checkUpdate(app)
	if c.UpdateStatus != store.UpdateAvailable || !c.UpdateAvailable || c.AvailableDigest != reg.Ref(repo)+"@"+v2Digest ||
		c.UpdateCheckedAt == nil || !strings.HasPrefix(c.UpdateMessage, "update available: the registry's "+v1.Ref+" is now sha256:"+
		strings.TrimPrefix(v2Digest, "sha256:")[:12]) {
		t.Errorf("check after v2 was pushed: %s %v %q %q", c.UpdateStatus, c.UpdateAvailable, c.AvailableDigest, c.UpdateMessage)
	}
	if c.State != store.StateRunning || c.DockerID != app.DockerID || c.ImageID != v1.ID || appEnv(t, e, app.UUID)["KIOSC_TEST_IMAGE"] != "v1" {
		t.Errorf("the check changed what runs: %s %s %s", c.State, c.DockerID, c.ImageID)
	}
	select {
	case ev := <-sub.C():
		b, _ := json.Marshal(ev)
		if ev.Type != events.TypeContainerState || !strings.Contains(string(b), `"update_available":true`) {
			t.Errorf("live message after the check: %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Error("the check sent nothing on the live channel")
	}

	if c := e.checkUpdate(wrong); c.UpdateStatus != store.UpdateFailed || c.UpdateAvailable || c.AvailableDigest != "" ||
		!strings.HasPrefix(c.UpdateMessage, "the check failed: access denied: the registry "+reg.Host+" refused the image "+v1.Ref) ||
		c.State != store.StateRunning || c.DockerID != wrong.DockerID || c.ImageID != v1.ID {
		t.Errorf("check with wrong credentials: %s %v %q %q, %s %s", c.UpdateStatus, c.UpdateAvailable, c.AvailableDigest,
			c.UpdateMessage, c.State, c.ImageID)
	}
	if c := e.checkUpdate(pinned); c.UpdateStatus != store.UpdatePinned || c.UpdateAvailable ||
		!strings.Contains(c.UpdateMessage, "pinned by its digest") {
		t.Errorf("check of an image pinned by digest: %s %v %q", c.UpdateStatus, c.UpdateAvailable, c.UpdateMessage)
	}
	if _, err := e.m.UpdateImage(ctx, e.user, pinned.UUID); !errors.Is(err, lifecycle.ErrConflict) {
		t.Errorf("update of an image pinned by digest: %v, want a conflict", err)
	}
	if c := e.checkUpdate(local); c.UpdateStatus != store.UpdateLocal || c.UpdateAvailable ||
		!strings.HasPrefix(c.UpdateMessage, "cannot be checked: the image it runs") {
		t.Errorf("check of an image built on the Docker host: %s %v %q", c.UpdateStatus, c.UpdateAvailable, c.UpdateMessage)
	}
	if c := e.checkUpdate(stopped); c.UpdateStatus != store.UpdateAvailable || !c.UpdateAvailable ||
		!strings.Contains(c.UpdateMessage, "its next start would run") {
		t.Errorf("check of the stopped container: %s %v %q", c.UpdateStatus, c.UpdateAvailable, c.UpdateMessage)
	}
	if n := pulls(); n != blobsBefore {
		t.Errorf("the checks downloaded %d layers", n-blobsBefore)
	}

	// The daily task, on demand and when due.
	tasks, err := e.m.MaintenanceTasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(tasks, func(t lifecycle.MaintenanceTask) bool { return t.Name == lifecycle.TaskCheckUpdates }); i < 0 ||
		tasks[i].Schedule != "daily" {
		t.Errorf("maintenance tasks: %+v", tasks)
	}
	r, err := e.m.RunMaintenance(ctx, e.user, lifecycle.TaskCheckUpdates)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check-updates: %s", r.Summary)
	for _, want := range []struct {
		c            *store.Container
		message, err string
	}{{app, "update available", ""}, {stopped, "update available", ""}, {pinned, "no updates", ""},
		{local, "cannot be checked", ""}, {wrong, "", "the check failed: access denied"}} {
		it := item(r, want.c.UUID)
		if it == nil || !strings.HasPrefix(it.Message, want.message) || !strings.HasPrefix(it.Error, want.err) {
			t.Errorf("check-updates item of %s: %+v", want.c.Title, it)
		}
	}
	if r.Count != 4 || r.Failed != 1 || !strings.HasPrefix(r.Summary, "checked 5 containers: 2 with an update available") {
		t.Errorf("check-updates: count %d, failed %d, %q", r.Count, r.Failed, r.Summary)
	}
	if ev := siteEvent(t, e, "maintenance_check_updates"); ev == nil || ev.Username != e.user.Username {
		t.Errorf("check-updates in the timeline: %+v", ev)
	}
	if err := e.st.UpdateSetting(ctx, "maintenance_check_updates_due", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	e.m.Sweep(ctx)
	// The run is kept as the task's last once it has finished.
	var daily lifecycle.MaintenanceTask
	for deadline := time.Now().Add(60 * time.Second); daily.LastRun == nil || daily.LastRun.User != store.SystemUser; {
		if time.Now().After(deadline) {
			t.Fatalf("the due check-updates did not run: %+v", daily.LastRun)
		}
		time.Sleep(100 * time.Millisecond)
		if tasks, err = e.m.MaintenanceTasks(ctx); err != nil {
			t.Fatal(err)
		}
		daily = tasks[slices.IndexFunc(tasks, func(t lifecycle.MaintenanceTask) bool { return t.Name == lifecycle.TaskCheckUpdates })]
	}
	if daily.NextRun == nil || time.Until(*daily.NextRun) < 23*time.Hour {
		t.Errorf("check-updates after its daily run: next %v", daily.NextRun)
	}
	if it := item(daily.LastRun, app.UUID); it == nil || !strings.HasPrefix(it.Message, "update available") {
		t.Errorf("the daily run's item of the app: %+v", it)
	}
	if ev := siteEvent(t, e, "maintenance_check_updates"); ev == nil || ev.Username != store.SystemUser {
		t.Errorf("the daily run in the timeline: %+v", ev)
	}

	// A failed pull changes nothing and says why.
	if _, err := e.m.UpdateImage(ctx, e.user, wrong.UUID); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, e, wrong.UUID, "update"); j.State != store.JobFailed ||
		!strings.Contains(j.Message, "nothing changed: access denied: the registry "+reg.Host+" refused the image") {
		t.Errorf("update with wrong credentials: job %s %q", j.State, j.Message)
	}
	if c, _ := e.st.GetContainer(ctx, wrong.UUID); c.State != store.StateRunning || c.DockerID != wrong.DockerID || c.ImageID != v1.ID {
		t.Errorf("after the failed update: %s %s %s", c.State, c.DockerID, c.ImageID)
	}
	if evs := timelineOf(t, e, wrong.UUID, "container_image_update"); len(evs) != 1 || evs[0].Status != store.StatusFailed ||
		evs[0].ExtraData["old_digest"] != app.ImageDigest || !strings.Contains(evs[0].Description, "access denied") {
		t.Errorf("timeline of the failed update: %+v", evs)
	}

	// The update of the running app: the app keeps running while v2 is pulled.
	// Concurrent clicks: one update job.
	for range 3 {
		if _, err := e.m.UpdateImage(ctx, e.user, app.UUID); err != nil {
			t.Fatal(err)
		}
	}
	evs := collectUntil(t, sub, store.StateCreating)
	var pullProgress int
	for _, ev := range evs {
		if ev.Type == events.TypeContainerState && ev.Data.State != store.StateRunning && ev.Data.State != store.StateCreating {
			t.Errorf("state %s while the update pulled: the app keeps running", ev.Data.State)
		}
		if ev.Type == events.TypeJobProgress && ev.Data.Step == "pull" && ev.Data.Progress != nil {
			pullProgress++
		}
	}
	if pullProgress == 0 {
		t.Error("no pull progress during the update")
	}
	j := waitJob(t, e, app.UUID, "update")
	c = e.waitState(app.UUID, store.StateRunning)
	if n := len(jobsOf(t, e, app.UUID, "update")); j.State != store.JobDone || n != 1 {
		t.Errorf("update job %s %q; %d update jobs for three requests", j.State, j.Message, n)
	}
	if got := appEnv(t, e, app.UUID)["KIOSC_TEST_IMAGE"]; got != "v2" || c.ImageID != v2.ID || c.DockerID == app.DockerID ||
		c.ImageDigest != reg.Ref(repo)+"@"+v2Digest || dockertest.ImageOf(t, c.DockerID) != v2.ID {
		t.Errorf("after the update: app runs KIOSC_TEST_IMAGE=%q, image %s digest %s, docker %s", got, c.ImageID, c.ImageDigest, c.DockerID)
	}
	if c.UpdateAvailable || c.UpdateStatus != store.UpdateUpToDate || c.DesiredState != store.StateRunning {
		t.Errorf("after the update: update %+v, desired %s", c.UpdateCheck, c.DesiredState)
	}
	if got := e.m.View(c).Environment; len(got) != 0 || c.Image != v1.Ref || !e.m.View(c).HasRegistryAuth {
		t.Errorf("the update changed the settings: %+v", e.m.View(c))
	}
	tl := timelineOf(t, e, app.UUID, "container_image_update")
	if len(tl) != 1 || tl[0].Status != store.StatusOK || tl[0].ExtraData["old_digest"] != app.ImageDigest ||
		tl[0].ExtraData["new_digest"] != c.ImageDigest || tl[0].ExtraData["old_image_id"] != v1.ID || tl[0].ExtraData["new_image_id"] != v2.ID {
		t.Errorf("timeline of the update: %+v", tl)
	}
	// The stopped container's next start would still run v1 from the Docker host (put back under the tag, as on a
	// host where nothing pulled the tag since): its update pulls v2 for its next start and leaves it stopped.
	reg.TagLocal(t, v1.ID, v1.Ref)
	if c := e.checkUpdate(stopped); !c.UpdateAvailable {
		t.Errorf("check of the stopped container with v1 under the tag: %s %q", c.UpdateStatus, c.UpdateMessage)
	}
	if _, err := e.m.UpdateImage(ctx, e.user, stopped.UUID); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, e, stopped.UUID, "update"); j.State != store.JobDone || !strings.Contains(j.Message, "the next start runs it") {
		t.Errorf("update of the stopped container: job %s %q", j.State, j.Message)
	}
	if c, _ := e.st.GetContainer(ctx, stopped.UUID); c.State != store.StateStopped || c.DesiredState != store.StateStopped ||
		c.UpdateAvailable || c.UpdateStatus != store.UpdateUpToDate {
		t.Errorf("stopped container after its update: %s/%s, update %+v", c.State, c.DesiredState, c.UpdateCheck)
	}
	if c := e.checkUpdate(stopped); c.UpdateStatus != store.UpdateUpToDate || c.UpdateAvailable {
		t.Errorf("check of the stopped container after its update: %s %q", c.UpdateStatus, c.UpdateMessage)
	}

	// The stopped container starts on v2.
	if c := e.start(stopped); c.ImageID != v2.ID || appEnv(t, e, stopped.UUID)["KIOSC_TEST_IMAGE"] != "v2" {
		t.Errorf("the updated stopped container started on %s", c.ImageID)
	}
}

// TestUpdateOfRefusedRegistry: a container configured before KIOSC_ALLOWED_REGISTRIES excluded its registry is
// neither checked nor updated, and the registry is never contacted.
func TestUpdateOfRefusedRegistry(t *testing.T) {
	t.Parallel()
	reg := dockertest.StartRegistry(t, dockertest.RegistryOptions{})
	v1 := reg.PushLayered(t, "kiosc-test/refused:v1", dockertest.LayeredImage{Layers: 1, LayerSize: 64 << 10})
	e := newEnv(t, func(o *lifecycle.Options) { o.Limits.AllowedRegistries = []string{"ghcr.io"} })
	ctx := context.Background()
	c := &store.Container{ProjectID: e.project.ID, ProjectUUID: e.project.UUID, CreatedBy: e.user.Username}
	c.Title, c.Image, c.ContainerPort = "configured before", v1.Ref, dockertest.AppPort
	if err := e.st.CreateContainer(ctx, c); err != nil {
		t.Fatal(err)
	}
	asked := len(reg.Requests())
	got := e.checkUpdate(c)
	if got.UpdateStatus != store.UpdateFailed || !strings.HasPrefix(got.UpdateMessage, "the check failed: registry not allowed: images from "+
		reg.Host+" are not allowed on this site; allowed registries: ghcr.io") {
		t.Errorf("check: %s %q", got.UpdateStatus, got.UpdateMessage)
	}
	if _, err := e.m.UpdateImage(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, e, c.UUID, "update"); j.State != store.JobFailed || !strings.Contains(j.Message, "registry not allowed") {
		t.Errorf("update: job %s %q", j.State, j.Message)
	}
	if n := len(reg.Requests()); n != asked {
		t.Errorf("the registry was asked %d times", n-asked)
	}
	if got, _ := e.st.GetContainer(ctx, c.UUID); got.State != store.StateInitial || got.DockerID != "" {
		t.Errorf("after the refused update: %s %q", got.State, got.DockerID)
	}
}
