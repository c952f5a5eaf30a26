package cli_test

import (
	"archive/tar"
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
)

// Volumes, user and read-only root from the command line: create and edit flags, show, then files in and out of
// a running container's volume, the listing, a deletion with the volumes, and the removal of a project volume.
func TestVolumeCommands(t *testing.T) {
	dockertest.Client(t)
	image := dockertest.TestAppImage(t)
	s := serveContainers(t)
	dockertest.Cleanup(t, lifecycle.LabelInstance+"="+s.instance)

	r := mustOK(t, s.run("", "container", "create", "--project", s.project.UUID, "--image", image, "--title", "files",
		"--port", "8080", "--heartbeat-url", "/health", "--volume", "data:/data", "--volume", "ref:/ref:project:ro",
		"--user", "1000:100", "--read-only-rootfs", "--json"))
	var v struct {
		UUID    string           `json:"uuid"`
		Volumes []map[string]any `json:"volumes"`
		User    string           `json:"user"`
		ROFS    bool             `json:"read_only_rootfs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || len(v.Volumes) != 2 || v.User != "1000:100" || !v.ROFS ||
		v.Volumes[1]["scope"] != "project" || v.Volumes[1]["read_only"] != true {
		t.Fatalf("create: %v %s", err, r.stdout)
	}
	id := v.UUID
	if r := s.run("", "container", "create", "--project", s.project.UUID, "--image", image, "--volume", "bad"); r.code != 2 ||
		!strings.Contains(r.stderr, "NAME:/PATH") {
		t.Errorf("bad --volume: %d %s", r.code, r.stderr)
	}
	r = mustOK(t, s.run("", "container", "show", id))
	for _, want := range []string{"data:/data (container volume, read-write)", "ref:/ref:project:ro (project volume, read-only)",
		"1000:100", "read_only_rootfs"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	// edit: --volume adds (or replaces by name), --unset-volume drops, the rest of the list stays.
	r = mustOK(t, s.run("", "container", "edit", id, "--volume", "scratch:/scratch", "--volume", "data:/work", "--volume", "tmp:/t",
		"--unset-volume", "tmp", "--read-only-rootfs=false", "--json"))
	var edited struct {
		Volumes []struct {
			Name string `json:"name"`
		} `json:"volumes"`
		ROFS bool `json:"read_only_rootfs"`
	}
	_ = json.Unmarshal([]byte(r.stdout), &edited)
	if !strings.Contains(r.stdout, `"mount_path": "/work"`) || !strings.Contains(r.stdout, `"name": "scratch"`) ||
		strings.Contains(r.stdout, `"name": "tmp"`) || edited.ROFS || len(edited.Volumes) != 3 {
		t.Fatalf("edit: %s", r.stdout)
	}
	mustOK(t, s.run("", "container", "start", id, "--wait", "--timeout", "2m"))

	// Files in: a file and a folder; out: tar and zip.
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "results")
	if err := os.MkdirAll(filepath.Join(folder, "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "deep", "r.csv"), []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustOK(t, s.run("", "volume", "upload", "--container", id, "data", file, folder, "--path", "/in"))
	if !strings.Contains(r.stdout, "Uploaded "+file+": 1 file") || !strings.Contains(r.stdout, "into /in") {
		t.Errorf("upload: %s", r.stdout)
	}
	tarFile := filepath.Join(dir, "out.tar")
	mustOK(t, s.run("", "volume", "download", "--container", id, "data", "-o", tarFile))
	f, err := os.Open(tarFile)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		names[h.Name] = string(b)
	}
	f.Close()
	if names["data/in/notes.txt"] != "hello" || names["data/in/results/deep/r.csv"] != "a,b\n" {
		t.Errorf("downloaded tar: %v", names)
	}
	zipFile := filepath.Join(dir, "out.zip")
	mustOK(t, s.run("", "volume", "download", "--container", id, "data", "--path", "/in/results", "--zip", "-o", zipFile))
	zr, err := zip.OpenReader(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 3 || zr.File[2].Name != "results/deep/r.csv" {
		t.Errorf("zip: %v", zr.File)
	}
	zr.Close()
	if r := s.run("", "volume", "download", "--container", id, "data", "--path", "../etc", "-o", filepath.Join(dir, "x.tar")); r.code != 1 ||
		!strings.Contains(r.stderr, "invalid_path") {
		t.Errorf("escape: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.tar")); err == nil {
		t.Error("a refused download left a file")
	}
	r = mustOK(t, s.run("", "volume", "list", "--container", id))
	if !strings.Contains(r.stdout, "/work") || !strings.Contains(r.stdout, "scratch") {
		t.Errorf("list: %s", r.stdout)
	}

	// The project volume goes only once no container is configured with it; the container goes with its volumes.
	if r := mustOK(t, s.run("", "volume", "list", "--project", s.project.UUID)); !strings.Contains(r.stdout, "ref") ||
		!strings.Contains(r.stdout, "files (ro)") {
		t.Errorf("project list: %s", r.stdout)
	}
	if r := s.run("", "volume", "remove", "--project", s.project.UUID, "ref"); r.code != 2 {
		t.Errorf("remove without --yes: %d %s", r.code, r.stderr)
	}
	if r := s.run("", "volume", "remove", "--project", s.project.UUID, "ref", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "volume_in_use") ||
		!strings.Contains(r.stderr, `"files"`) {
		t.Errorf("remove while in use: %d %s", r.code, r.stderr)
	}
	mustOK(t, s.run("", "container", "delete", id, "--yes", "--delete-volumes"))
	deadline := time.Now().Add(60 * time.Second)
	for {
		r = s.run("", "volume", "remove", "--project", s.project.UUID, "ref", "--yes")
		if r.code == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.code != 0 || !strings.Contains(r.stdout, `Volume "ref" removed`) {
		t.Errorf("remove: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if out, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "label=kiosc.instance="+s.instance).CombinedOutput(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("volumes left: %s", out)
	}
}
