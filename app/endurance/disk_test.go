package endurance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker/dockertest"
)

// smallDisk mounts a tmpfs of size bytes at dir (created), for the test only.
func smallDisk(t *testing.T, dir string, size int) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(dockertest.RequireEnv) == "1" {
			t.Fatal("mounting a small file system for the data directory needs root")
		}
		t.Skip("mounting a small file system for the data directory needs root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "kiosc-test-disk", dir).
		CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Lazily, if something still holds it: it goes when the last user does.
			if out2, err2 := exec.Command("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("umount %s: %v %s %s", dir, err, out, out2)
			}
		}
	})
}

// fill writes a file into dir until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// The last bytes, in smaller pieces.
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return path
}

// A full disk under the data directory: writes through the API are refused with 507 and a message saying so, the
// log says why, reads go on, nothing is damaged; once space is freed (and after a kill -9 and a restart) the
// database passes its integrity check and writes work again.
func TestFullDisk(t *testing.T) {
	k := newInstance(t, "KIOSC_RESYNC_INTERVAL=2s")
	smallDisk(t, k.dataDir, 16<<20)
	k.start()
	image := dockertest.TestAppImage(t)
	p := k.project()
	app := k.create(p, image, "running app", map[string]any{"environment": map[string]string{"LOG_EVERY": "100ms"}})
	k.action(app.UUID, "start")
	k.waitState(app.UUID, "running", time.Minute)
	idle := k.create(p, image, "idle app", nil)

	filler := fill(t, k.dataDir)
	status, b, err := k.call("POST", "/api/v1/projects/"+p+"/containers", map[string]any{"title": "on a full disk", "image": image,
		"container_port": dockertest.AppPort})
	var answer struct {
		Error struct{ Code, Message string }
	}
	if err != nil || status != http.StatusInsufficientStorage || json.Unmarshal(b, &answer) != nil ||
		answer.Error.Code != "storage_full" || !strings.Contains(answer.Error.Message, "disk") {
		t.Errorf("create on a full disk: %d %s %v", status, b, err)
	}
	status, b, err = k.call("PATCH", "/api/v1/containers/"+idle.UUID, map[string]any{"description": strings.Repeat("x", 64<<10)})
	if err != nil || status != http.StatusInsufficientStorage {
		t.Errorf("edit on a full disk: %d %s %v", status, b, err)
	}
	// Reading goes on, and so does the app.
	if c, err := k.get(app.UUID); err != nil || c.State != "running" {
		t.Errorf("reading on a full disk: %v %v", c, err)
	}
	if r := k.readyz(); r == 0 {
		t.Error("kiosc does not answer on a full disk")
	}
	time.Sleep(time.Second) // the app's log lines keep coming; storing them fails
	if log := k.logTail(1 << 20); !strings.Contains(log, "database or disk is full") {
		t.Errorf("the log does not say the disk is full:\n%s", k.logTail(3000))
	}

	// Space again; a kill -9 now, then a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	k.kill()
	checkDatabase(t, k.dataDir)
	k.start()
	k.waitState(app.UUID, "running", time.Minute)
	c := k.create(p, image, "after the disk was full", nil)
	k.action(c.UUID, "start")
	k.waitState(c.UUID, "running", time.Minute)
	if got, err := k.get(idle.UUID); err != nil || got.State != "initial" {
		t.Errorf("a record written before the disk was full: %v %v", got, err)
	}
	k.stop()
	checkDatabase(t, k.dataDir)
}

// kiosc backup takes a consistent copy while kiosc serves and writes; kiosc restore refuses to replace the
// database of a running kiosc, and puts the copy in place of a stopped one's, which then starts on it.
func TestBackupAndRestore(t *testing.T) {
	k := newInstance(t, "KIOSC_RESYNC_INTERVAL=2s")
	k.start()
	image := dockertest.TestAppImage(t)
	p := k.project()
	app := k.create(p, image, "app", nil)
	k.action(app.UUID, "start")
	k.waitState(app.UUID, "running", time.Minute)

	// Writes go on while the backup is taken.
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			status, _, err := k.call("POST", "/api/v1/projects/"+p+"/containers", map[string]any{"title": fmt.Sprintf("meanwhile %d", n),
				"image": image, "container_port": dockertest.AppPort})
			if err == nil && status == http.StatusCreated {
				n++
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	backup := filepath.Join(t.TempDir(), "kiosc-backup.db")
	out, err := exec.Command(binary(t), "backup", backup, "--data-dir", k.dataDir).CombinedOutput()
	close(stop)
	during := <-done
	if err != nil {
		t.Fatalf("kiosc backup: %v %s", err, out)
	}
	t.Logf("kiosc backup (%d containers created meanwhile): %s", during, out)
	before, err := k.containers()
	if err != nil {
		t.Fatal(err)
	}

	// Not while kiosc runs on the data directory.
	if out, err := exec.Command(binary(t), "restore", backup, "--data-dir", k.dataDir).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "stop kiosc first") {
		t.Errorf("restore while kiosc runs: %v %s", err, out)
	}
	k.stop()
	out, err = exec.Command(binary(t), "restore", backup, "--data-dir", k.dataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "kept as") {
		t.Fatalf("kiosc restore: %v %s", err, out)
	}
	checkDatabase(t, k.dataDir)
	k.start()
	after, err := k.containers()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) < 1 || len(after) > len(before) {
		t.Errorf("%d containers after the restore; %d when kiosc stopped", len(after), len(before))
	}
	k.waitState(app.UUID, "running", time.Minute)
	c := k.create(p, image, "after the restore", nil)
	k.action(c.UUID, "start")
	k.waitState(c.UUID, "running", time.Minute)
}
