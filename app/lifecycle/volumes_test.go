package lifecycle_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// appFile reads a file in the running container through the test app (status and body).
func (e *env) appFile(uuid, path string) (int, string) {
	e.t.Helper()
	up, err := e.m.Upstream(context.Background(), uuid)
	if err != nil || up.Addr == "" {
		e.t.Fatalf("upstream of %s: %+v %v", uuid, up, err)
	}
	resp, err := http.Get("http://" + up.Addr + "/file?path=" + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// appWrite writes a file in the running container through the test app (status and answer).
func (e *env) appWrite(uuid, path, content string) (int, string) {
	e.t.Helper()
	up, err := e.m.Upstream(context.Background(), uuid)
	if err != nil || up.Addr == "" {
		e.t.Fatalf("upstream of %s: %+v %v", uuid, up, err)
	}
	req, _ := http.NewRequest(http.MethodPut, "http://"+up.Addr+"/write?path="+path, strings.NewReader(content))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) mustFile(uuid, path, want string) {
	e.t.Helper()
	if code, body := e.appFile(uuid, path); code != 200 || body != want {
		e.t.Errorf("%s in %s: %d %q, want %q", path, uuid, code, body, want)
	}
}

// volumeExists asks the engine.
func (e *env) volumeExists(name string) bool {
	e.t.Helper()
	out, err := run("docker", "volume", "inspect", "--format", "{{json .Labels}}", name)
	if err != nil && !strings.Contains(strings.ToLower(out), "no such volume") {
		e.t.Fatalf("docker volume inspect %s: %v %s", name, err, out)
	}
	return err == nil
}

func volumeEvents(t *testing.T, e *env, dockerName string) []*store.TimelineEvent {
	t.Helper()
	evs, _, err := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{ObjectUUID: dockerName})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func hasVolumeEvent(t *testing.T, e *env, dockerName, name, status string) bool {
	t.Helper()
	for _, ev := range volumeEvents(t, e, dockerName) {
		if ev.EventName == name && ev.Status == status {
			return true
		}
	}
	return false
}

// Work in a container-scope volume survives a stop and start, a restart with a changed configuration and a restart
// of kiosc (adoption); a non-root user writes its volume; a read-only root file system keeps a writable /tmp.
func TestVolumeSurvives(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.create(map[string]any{"volumes": []map[string]any{{"name": "work", "mount_path": "/work"}}, "user": "1000:100",
		"read_only_rootfs": true})
	c = e.start(c)
	name := lifecycle.VolumeName(e.instance, e.project.UUID, c.UUID, settings.Volume{Name: "work", Scope: settings.ScopeContainer})
	if code, msg := e.appWrite(c.UUID, "/work/notes/a.txt", "first"); code != 201 {
		t.Fatalf("non-root write into its volume: %d %s", code, msg)
	}
	if code, _ := e.appWrite(c.UUID, "/opt/x", "x"); code != 409 && code != 403 {
		t.Errorf("write into the read-only root file system: %d", code)
	}
	if code, msg := e.appWrite(c.UUID, "/tmp/scratch", "x"); code != 201 {
		t.Errorf("write into /tmp: %d %s", code, msg)
	}
	info, err := e.rt.Inspect(ctx, c.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	if info.User != "1000:100" || !info.ReadonlyRootfs || info.Tmpfs["/tmp"] == "" || len(info.Mounts) != 1 ||
		info.Mounts[0].Name != name || info.Mounts[0].Destination != "/work" || !info.Mounts[0].RW {
		t.Errorf("Docker container: user %q ro %v tmpfs %v mounts %+v", info.User, info.ReadonlyRootfs, info.Tmpfs, info.Mounts)
	}
	labels, err := run("docker", "volume", "inspect", "--format", "{{json .Labels}}", name)
	if err != nil {
		t.Fatal(err, labels)
	}
	for _, l := range []string{`"kiosc.managed":"true"`, `"kiosc.instance":"` + e.instance + `"`, `"kiosc.project":"` + e.project.UUID + `"`,
		`"kiosc.container":"` + c.UUID + `"`, `"kiosc.volume":"work"`, `"kiosc.volume-scope":"container"`} {
		if !strings.Contains(labels, l) {
			t.Errorf("volume labels %s lack %s", labels, l)
		}
	}
	rec, err := e.st.GetVolumeByDockerName(ctx, name)
	if err != nil || rec.Owner != "1000:100" || rec.ContainerUUID != c.UUID || rec.LastUsedAt == nil || rec.CreatedBy != e.user.Username {
		t.Fatalf("record %+v %v", rec, err)
	}
	if !hasVolumeEvent(t, e, name, "volume_create", store.StatusOK) {
		t.Error("no volume_create event")
	}

	// Stop and start.
	if _, err := e.m.Stop(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	e.waitState(c.UUID, store.StateStopped)
	c = e.start(c)
	e.mustFile(c.UUID, "/work/notes/a.txt", "first")

	// A changed configuration and a restart, which re-creates the Docker container.
	var in lifecycle.Input
	decode(t, map[string]any{"environment": map[string]any{"CHANGED": "1"}}, &in)
	if _, err := e.m.Update(ctx, e.user, c.UUID, &in); err != nil {
		t.Fatal(err)
	}
	old := c.DockerID
	if _, err := e.m.Restart(ctx, e.user, c.UUID); err != nil {
		t.Fatal(err)
	}
	c = e.wait(c.UUID, "re-created", func(c *store.Container) bool { return c.State == store.StateRunning && c.DockerID != old })
	e.mustFile(c.UUID, "/work/notes/a.txt", "first")
	if code, msg := e.appWrite(c.UUID, "/work/notes/b.txt", "second"); code != 201 {
		t.Errorf("write after the restart: %d %s", code, msg)
	}

	// kiosc restarts and adopts the running container; the volume is untouched.
	e.stop()
	e.startManager()
	c = e.waitState(c.UUID, store.StateRunning)
	if c.DockerID == old {
		t.Error("adopted the old Docker container")
	}
	e.mustFile(c.UUID, "/work/notes/a.txt", "first")
	e.mustFile(c.UUID, "/work/notes/b.txt", "second")

	// The listing shows the mount.
	views, err := e.m.ContainerVolumes(ctx, c)
	if err != nil || len(views) != 1 || !views[0].Exists || views[0].MountPath == nil || *views[0].MountPath != "/work" ||
		views[0].Owner != "1000:100" || views[0].Scope != settings.ScopeContainer || views[0].DockerName != name {
		t.Errorf("volumes of the container: %+v %v", views, err)
	}
}

// A project volume written by one container is read by another, which mounts it read-only and cannot write it.
// A user name the image does not know fails the start with a worded message.
func TestProjectVolumeShared(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	writer := e.start(e.create(map[string]any{"volumes": []map[string]any{{"name": "shared", "mount_path": "/shared", "scope": "project"}}}))
	reader := e.start(e.create(map[string]any{"volumes": []map[string]any{{"name": "shared", "mount_path": "/data/in",
		"scope": "project", "read_only": true}}, "user": "4242"}))
	if code, msg := e.appWrite(writer.UUID, "/shared/result.csv", "a,b\n1,2\n"); code != 201 {
		t.Fatalf("write: %d %s", code, msg)
	}
	e.mustFile(reader.UUID, "/data/in/result.csv", "a,b\n1,2\n")
	if code, _ := e.appWrite(reader.UUID, "/data/in/other.csv", "x"); code != 409 {
		t.Errorf("write into a read-only mount: %d, want 409 (read-only file system)", code)
	}
	name := lifecycle.VolumeName(e.instance, e.project.UUID, "", settings.Volume{Name: "shared", Scope: settings.ScopeProject})
	recs, err := e.st.ListVolumes(ctx, store.VolumeFilter{ProjectUUID: e.project.UUID})
	if err != nil || len(recs) != 1 || recs[0].DockerName != name || recs[0].Scope != settings.ScopeProject {
		t.Fatalf("records %+v %v", recs, err)
	}
	views, err := e.m.ProjectVolumes(ctx, e.project.UUID)
	if err != nil || len(views) != 1 || len(views[0].Users) != 2 || !views[0].Exists {
		t.Fatalf("project volumes %+v %v", views, err)
	}

	// The volume cannot go while containers are configured with it.
	err = e.m.RemoveProjectVolume(ctx, e.user, e.project.UUID, "shared", "")
	var inUse *lifecycle.ErrVolumeInUse
	if !errors.As(err, &inUse) || len(inUse.Containers) != 2 || !strings.Contains(err.Error(), writer.Title) {
		t.Fatalf("remove while in use: %v", err)
	}
	for _, c := range []*store.Container{writer, reader} {
		if _, err := e.m.Delete(ctx, e.user, c.UUID); err != nil {
			t.Fatal(err)
		}
		e.waitGone(c.UUID)
	}
	if !e.volumeExists(name) {
		t.Fatal("a project volume went with its containers")
	}
	if err := e.m.RemoveProjectVolume(ctx, e.user, e.project.UUID, "shared", ""); err != nil {
		t.Fatal(err)
	}
	if e.volumeExists(name) || !hasVolumeEvent(t, e, name, "volume_delete", store.StatusOK) {
		t.Error("project volume not removed, or no volume_delete event")
	}
	if err := e.m.RemoveProjectVolume(ctx, e.user, e.project.UUID, "shared", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}

	bad := e.create(map[string]any{"volumes": []map[string]any{{"name": "v", "mount_path": "/v"}}, "user": "nobody-here"})
	if _, err := e.m.Start(ctx, e.user, bad.UUID); err != nil {
		t.Fatal(err)
	}
	bad = e.waitState(bad.UUID, store.StateFailed)
	if bad.StateReason != "create_failed" || !strings.Contains(bad.StateMessage, `the user "nobody-here" is not known in the image`) {
		t.Errorf("unknown user: %s %q", bad.StateReason, bad.StateMessage)
	}
}

// Deleting keeps the container's volumes unless asked to remove them; kept ones go after the retention time, each
// removal a timeline event.
func TestVolumeRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *lifecycle.Options) {
		o.RemoveVolumesAfter = 2 * time.Second
		o.SweepInterval = time.Hour // the test runs the task itself
	})
	ctx := context.Background()
	vols := []map[string]any{{"name": "data", "mount_path": "/data"}}
	kept := e.start(e.create(map[string]any{"volumes": vols}))
	gone := e.start(e.create(map[string]any{"volumes": vols}))
	keptName := lifecycle.VolumeName(e.instance, e.project.UUID, kept.UUID, settings.Volume{Name: "data", Scope: settings.ScopeContainer})
	goneName := lifecycle.VolumeName(e.instance, e.project.UUID, gone.UUID, settings.Volume{Name: "data", Scope: settings.ScopeContainer})
	if code, _ := e.appWrite(kept.UUID, "/data/x", "kept"); code != 201 {
		t.Fatal("write")
	}

	if _, err := e.m.Delete(ctx, e.user, kept.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.DeleteWithVolumes(ctx, e.user, gone.UUID, true); err != nil {
		t.Fatal(err)
	}
	e.waitGone(kept.UUID)
	e.waitGone(gone.UUID)
	if !e.volumeExists(keptName) || e.volumeExists(goneName) {
		t.Fatalf("after deletion: kept %v, removed %v", e.volumeExists(keptName), !e.volumeExists(goneName))
	}
	if !hasVolumeEvent(t, e, keptName, "volume_keep", store.StatusInfo) || !hasVolumeEvent(t, e, goneName, "volume_delete", store.StatusOK) {
		t.Errorf("events: kept %+v removed %+v", volumeEvents(t, e, keptName), volumeEvents(t, e, goneName))
	}
	rec, err := e.st.GetVolumeByDockerName(ctx, keptName)
	if err != nil || !rec.Kept() {
		t.Fatalf("kept record %+v %v", rec, err)
	}
	views, _ := e.m.ProjectVolumes(ctx, e.project.UUID)
	if len(views) != 1 || views[0].ContainerDeletedAt == nil || views[0].RemoveAfter == nil || views[0].Container == nil ||
		*views[0].Container != kept.UUID {
		t.Errorf("project listing of the kept volume: %+v", views)
	}

	// Before the retention time: nothing to do.
	if r, err := e.m.RemoveVolumes(ctx, e.user); err != nil || r.Count != 0 || len(r.Items) != 0 {
		t.Fatalf("early run: %+v %v", r, err)
	}
	time.Sleep(2100 * time.Millisecond)
	r, err := e.m.RemoveVolumes(ctx, e.user)
	if err != nil || r.Count != 1 || len(r.Items) != 1 || r.Items[0].Kind != "volume" || r.Items[0].ID != keptName {
		t.Fatalf("run after the retention time: %+v %v", r, err)
	}
	if e.volumeExists(keptName) || !hasVolumeEvent(t, e, keptName, "volume_expire", store.StatusOK) {
		t.Error("kept volume not removed after the retention time, or no volume_expire event")
	}
	if ev := siteEvent(t, e, "maintenance_remove_volumes"); ev == nil || ev.ExtraData["count"] != float64(1) {
		t.Errorf("maintenance event %+v", ev)
	}
	if _, err := e.st.GetVolumeByDockerName(ctx, keptName); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record after removal: %v", err)
	}
}

// Files go in and come out of volumes: as a tar archive and as one file, as tar and zip, with the volume's owner;
// paths that leave the volume are refused.
func TestVolumeFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	c := e.start(e.create(map[string]any{"volumes": []map[string]any{{"name": "data", "mount_path": "/data"}}, "user": "1000:100"}))
	rec, err := e.m.ContainerVolume(ctx, c, "data")
	if err != nil {
		t.Fatal(err)
	}

	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	for _, f := range []struct{ name, body string }{{"in/a.txt", "alpha"}, {"in/deeper/b.txt", "beta"}} {
		_ = tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.body))})
		_, _ = io.WriteString(tw, f.body)
	}
	_ = tw.Close()
	res, err := e.m.UploadToVolume(ctx, e.user, rec, "/up/load", &archive, nil)
	if err != nil || res.Files != 2 || res.Bytes != 9 || res.Path != "/up/load" {
		t.Fatalf("tar upload: %+v %v", res, err)
	}
	if res, err = e.m.UploadToVolume(ctx, e.user, rec, "up", strings.NewReader("one file"), &lifecycle.UploadFile{Name: "single.txt", Size: 8}); err != nil || res.Files != 1 {
		t.Fatalf("file upload: %+v %v", res, err)
	}
	e.mustFile(c.UUID, "/data/up/load/in/deeper/b.txt", "beta")
	e.mustFile(c.UUID, "/data/up/single.txt", "one file")
	// The app (uid 1000) may change what was uploaded: it owns it.
	if code, msg := e.appWrite(c.UUID, "/data/up/load/in/a.txt", "changed"); code != 201 {
		t.Errorf("the app changing an uploaded file: %d %s", code, msg)
	}
	if !hasVolumeEvent(t, e, rec.DockerName, "volume_upload", store.StatusOK) {
		t.Error("no volume_upload event")
	}

	// Downloads of the whole volume (tar) and of a folder (zip).
	d, err := e.m.DownloadVolume(ctx, rec, "/")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.WriteTar(&out); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	files := map[string]string{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
		if h.Name == "data/up/single.txt" && (h.Uid != 1000 || h.Gid != 100) {
			t.Errorf("uploaded file owned by %d:%d", h.Uid, h.Gid)
		}
	}
	if files["data/up/load/in/a.txt"] != "changed" || files["data/up/single.txt"] != "one file" || d.Name != "data" {
		t.Errorf("tar download %v (name %s)", files, d.Name)
	}
	d, err = e.m.DownloadVolume(ctx, rec, "up/load")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if _, err := d.WriteZip(&out); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "load/,load/in/,load/in/a.txt,load/in/deeper/,load/in/deeper/b.txt" || d.Name != "data-load" {
		t.Errorf("zip download %v (name %s)", names, d.Name)
	}

	// Escapes are refused before anything is touched.
	for _, p := range []string{"..", "/../etc", "up/../../etc", "a/.."} {
		if _, err := e.m.DownloadVolume(ctx, rec, p); !errors.Is(err, lifecycle.ErrBadPath) {
			t.Errorf("download of %q: %v", p, err)
		}
		if _, err := e.m.UploadToVolume(ctx, e.user, rec, p, strings.NewReader("x"), &lifecycle.UploadFile{Name: "x", Size: 1}); !errors.Is(err, lifecycle.ErrBadPath) {
			t.Errorf("upload into %q: %v", p, err)
		}
	}
	var evil bytes.Buffer
	tw = tar.NewWriter(&evil)
	_ = tw.WriteHeader(&tar.Header{Name: "../../escaped.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	_, _ = io.WriteString(tw, "x")
	_ = tw.Close()
	if _, err := e.m.UploadToVolume(ctx, e.user, rec, "/", &evil, nil); !errors.Is(err, lifecycle.ErrBadPath) {
		t.Errorf("archive entry leaving the volume: %v", err)
	}
	if !hasVolumeEvent(t, e, rec.DockerName, "volume_upload", store.StatusFailed) {
		t.Error("no failed volume_upload event")
	}
	if _, err := e.m.UploadToVolume(ctx, e.user, rec, "/up/single.txt", strings.NewReader("x"), &lifecycle.UploadFile{Name: "x", Size: 1}); !errors.Is(err, lifecycle.ErrBadPath) {
		t.Errorf("upload into a file: %v", err)
	}
	if _, err := e.m.DownloadVolume(ctx, rec, "/missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("download of a missing path: %v", err)
	}
	// No helper container is left behind.
	e.wait(c.UUID, "without helpers", func(*store.Container) bool {
		l, _ := e.rt.List(ctx, lifecycle.LabelInstance+"="+e.instance, lifecycle.LabelHelper)
		return len(l) == 0
	})
}

// buildUsersImage builds the test app with an /etc/passwd and /etc/group that know alice (1234:2345), and a home
// folder with a file in it, and removes the image after the test.
func buildUsersImage(t *testing.T, base string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":         "FROM " + base + "\nCOPY passwd /etc/passwd\nCOPY group /etc/group\nCOPY --chown=1234:2345 home /home/alice\n",
		"passwd":             "root:x:0:0:root:/root:/bin/sh\nalice:x:1234:2345::/home/alice:/bin/sh\n",
		"group":              "root:x:0:\nscience:x:2345:alice\nstaff:x:50:alice\n",
		"home/work/seed.txt": "from the image",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ref := "kiosc-testapp-users:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + time.Now().Format("150405.000000")
	ref = strings.ReplaceAll(ref, ".", "")
	cmd := exec.Command("docker", "build", "-q", "--label", "kiosc.test=true", "-t", ref, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = run("docker", "rmi", "-f", ref) })
	return ref
}

// A user given by name is resolved from the image's passwd and group; the volume keeps what Docker copied from the
// image at the mount point, and its root belongs to that user, who can write it.
func TestVolumeUserByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	image := buildUsersImage(t, e.image)
	c := e.start(e.create(map[string]any{"image": image, "user": "alice:staff",
		"volumes": []map[string]any{{"name": "work", "mount_path": "/home/alice/work"}}}))
	e.mustFile(c.UUID, "/home/alice/work/seed.txt", "from the image")
	if code, msg := e.appWrite(c.UUID, "/home/alice/work/new.txt", "mine"); code != 201 {
		t.Fatalf("alice writing her volume: %d %s", code, msg)
	}
	rec, err := e.st.GetVolumeByDockerName(ctx, lifecycle.VolumeName(e.instance, e.project.UUID, c.UUID,
		settings.Volume{Name: "work", Scope: settings.ScopeContainer}))
	if err != nil || rec.Owner != "1234:50" {
		t.Errorf("owner %q %v, want 1234:50 (alice, group staff)", rec.Owner, err)
	}
	d, err := e.m.DownloadVolume(ctx, rec, "new.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := d.WriteTar(&out); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	h, err := tar.NewReader(&out).Next()
	if err != nil || h.Uid != 1234 || h.Gid != 50 {
		t.Errorf("the app's file: %+v %v", h, err)
	}

	// Without volumes Docker finds out at the start; the message says it in words.
	bad := e.create(map[string]any{"image": image, "user": "bob"})
	if _, err := e.m.Start(ctx, e.user, bad.UUID); err != nil {
		t.Fatal(err)
	}
	bad = e.waitState(bad.UUID, store.StateFailed)
	if bad.StateReason != "start_failed" || !strings.Contains(bad.StateMessage, "is not known in the image") || bad.StateDetail == "" {
		t.Errorf("unknown user at the start: %s %q %q", bad.StateReason, bad.StateMessage, bad.StateDetail)
	}
}
