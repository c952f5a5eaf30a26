package lifecycle_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// httpDo sends a raw request over a real connection as the client (session cookie and CSRF token), so that bodies
// stream both ways; length < 0 sends the body chunked.
func httpDo(t *testing.T, a *apiEnv, addr string, c *apitest.Client, method, path string, body io.Reader, ctype string, length int64) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = length
		if length < 0 {
			req.TransferEncoding = []string{"chunked"}
		}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.AddCookie(&http.Cookie{Name: a.SessionCookie(), Value: c.Cookie})
	req.Header.Set(web.CSRFHeader, c.CSRF)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func errCode(b []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// The volume endpoints on the real engine: settings validated with field names, listings, uploads (a file, a tar
// archive) and downloads (tar, zip) streamed over a real connection, paths that leave the volume refused, the
// rights of guests, deleting a container with its volumes, and project volumes removed only when unused.
func TestAPIVolumes(t *testing.T) {
	a, image, addr := servedAPIEnv(t)
	owner := a.member("olivia", "owner")
	guest := a.member("gustav", "guest")
	pv := "/api/v1/projects/" + a.project.UUID

	res := owner.Do("POST", pv+"/containers", map[string]any{"title": "bad", "image": image,
		"volumes": []map[string]any{{"name": "data", "mount_path": "/data"}, {"name": "x", "mount_path": "/etc/x"}}})
	if res.StatusCode != 400 || !strings.Contains(res.Body, `"volumes[1].mount_path"`) {
		t.Errorf("invalid volume: %d %s", res.StatusCode, res.Body)
	}
	res = owner.Do("POST", pv+"/containers", map[string]any{"title": "web", "image": image, "container_port": dockertest.AppPort,
		"heartbeat_url": "/health", "user": "1000:100", "volumes": []map[string]any{{"name": "data", "mount_path": "/data"},
			{"name": "shared", "mount_path": "/shared", "scope": "project", "read_only": true}}})
	if res.StatusCode != 201 || !strings.Contains(res.Body, `"scope":"container"`) || res.JSON["user"] != "1000:100" {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	id := res.JSON["uuid"].(string)
	cv := "/api/v1/containers/" + id + "/volumes"
	if r := owner.Do("GET", cv, nil); r.StatusCode != 200 || r.JSON["total"] != float64(2) || strings.Contains(r.Body, `"exists":true`) {
		t.Errorf("volumes before the first start: %d %s", r.StatusCode, r.Body)
	}
	if r, b := httpDo(t, a, addr, owner, "GET", cv+"/data/archive", nil, "", 0); r.StatusCode != 409 || errCode(b) != "volume_not_created" {
		t.Errorf("download before the first start: %d %s", r.StatusCode, b)
	}
	if r := owner.Do("POST", "/api/v1/containers/"+id+"/start", nil); r.StatusCode != 202 {
		t.Fatal(r.Body)
	}
	deadline := time.Now().Add(90 * time.Second)
	for owner.Do("GET", "/api/v1/containers/"+id, nil).JSON["state"] != "running" {
		if time.Now().After(deadline) {
			t.Fatalf("never running: %s", owner.Do("GET", "/api/v1/containers/"+id, nil).Body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Uploads: one file (with its length), a tar archive (chunked), and a file without a length.
	r, b := httpDo(t, a, addr, owner, "PUT", cv+"/data/archive?path=/in&name=a.txt", strings.NewReader("alpha"), "text/plain", 5)
	if r.StatusCode != 200 || !strings.Contains(string(b), `"files":1`) {
		t.Fatalf("file upload: %d %s", r.StatusCode, b)
	}
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	_ = tw.WriteHeader(&tar.Header{Name: "sub/b.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 4})
	_, _ = io.WriteString(tw, "beta")
	_ = tw.Close()
	if r, b = httpDo(t, a, addr, owner, "POST", cv+"/data/archive?path=in", io.NopCloser(&archive), "application/x-tar", -1); r.StatusCode != 200 ||
		!strings.Contains(string(b), `"path":"/in"`) {
		t.Fatalf("tar upload: %d %s", r.StatusCode, b)
	}
	if r, b = httpDo(t, a, addr, owner, "PUT", cv+"/data/archive?name=c.txt", io.NopCloser(strings.NewReader("x")), "text/plain", -1); r.StatusCode != 411 {
		t.Errorf("file without a length: %d %s", r.StatusCode, b)
	}
	if r, b = httpDo(t, a, addr, owner, "PUT", cv+"/data/archive", strings.NewReader("x"), "text/plain", 1); r.StatusCode != 400 {
		t.Errorf("file without a name: %d %s", r.StatusCode, b)
	}

	// Downloads.
	r, b = httpDo(t, a, addr, owner, "GET", cv+"/data/archive", nil, "", 0)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/x-tar" ||
		!strings.Contains(r.Header.Get("Content-Disposition"), `filename="data.tar"`) {
		t.Fatalf("tar download: %d %v %.200s", r.StatusCode, r.Header, b)
	}
	files := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		c, _ := io.ReadAll(tr)
		files[h.Name] = string(c)
	}
	if files["data/in/a.txt"] != "alpha" || files["data/in/sub/b.txt"] != "beta" {
		t.Errorf("tar holds %v", files)
	}
	r, b = httpDo(t, a, addr, owner, "GET", cv+"/data/archive?path=/in/sub&format=zip", nil, "", 0)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), `data-sub.zip`) {
		t.Fatalf("zip download: %d %v %.200s", r.StatusCode, r.Header, b)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) != 2 || zr.File[1].Name != "sub/b.txt" {
		t.Errorf("zip: %v %+v", err, zr)
	}
	for _, p := range []string{"../etc", "/in/../../etc", ".."} {
		if r, b = httpDo(t, a, addr, owner, "GET", cv+"/data/archive?path="+p, nil, "", 0); r.StatusCode != 400 || errCode(b) != "invalid_path" {
			t.Errorf("download of %s: %d %s", p, r.StatusCode, b)
		}
		if r, b = httpDo(t, a, addr, owner, "PUT", cv+"/data/archive?name=x&path="+p, strings.NewReader("x"), "text/plain", 1); r.StatusCode != 400 || errCode(b) != "invalid_path" {
			t.Errorf("upload into %s: %d %s", p, r.StatusCode, b)
		}
	}
	if r, b = httpDo(t, a, addr, owner, "GET", cv+"/data/archive?format=rar", nil, "", 0); r.StatusCode != 400 {
		t.Errorf("unknown format: %d %s", r.StatusCode, b)
	}
	if r, b = httpDo(t, a, addr, owner, "GET", cv+"/none/archive", nil, "", 0); r.StatusCode != 404 {
		t.Errorf("unknown volume: %d %s", r.StatusCode, b)
	}

	// Guests see the volumes, but do not read or write their files.
	if r := guest.Do("GET", cv, nil); r.StatusCode != 200 {
		t.Errorf("guest listing: %d %s", r.StatusCode, r.Body)
	}
	if r, b = httpDo(t, a, addr, guest, "GET", cv+"/data/archive", nil, "", 0); r.StatusCode != 403 {
		t.Errorf("guest download: %d %s", r.StatusCode, b)
	}
	if r, b = httpDo(t, a, addr, guest, "PUT", cv+"/data/archive?name=x", strings.NewReader("x"), "text/plain", 1); r.StatusCode != 403 {
		t.Errorf("guest upload: %d %s", r.StatusCode, b)
	}

	// The project volume: listed with its users, removable only when no container uses it.
	if r := guest.Do("GET", pv+"/volumes", nil); r.StatusCode != 200 || r.JSON["total"] != float64(1) || !strings.Contains(r.Body, `"title":"web"`) {
		t.Errorf("project volumes: %d %s", r.StatusCode, r.Body)
	}
	if r, b = httpDo(t, a, addr, owner, "GET", pv+"/volumes/shared/archive", nil, "", 0); r.StatusCode != 200 {
		t.Errorf("project volume download: %d %s", r.StatusCode, b)
	}
	if r := guest.Do("DELETE", pv+"/volumes/shared", nil); r.StatusCode != 403 {
		t.Errorf("guest removal: %d %s", r.StatusCode, r.Body)
	}
	if r := owner.Do("DELETE", pv+"/volumes/shared", nil); r.StatusCode != 409 || r.ErrorCode() != "volume_in_use" || !strings.Contains(r.Body, `\"web\"`) {
		t.Errorf("removal in use: %d %s", r.StatusCode, r.Body)
	}

	// Deleting with the volumes.
	if r := owner.Do("DELETE", "/api/v1/containers/"+id+"?volumes=sometimes", nil); r.StatusCode != 400 {
		t.Errorf("bad volumes choice: %d %s", r.StatusCode, r.Body)
	}
	if r := owner.Do("DELETE", "/api/v1/containers/"+id+"?volumes=delete", nil); r.StatusCode != 202 {
		t.Fatalf("delete: %d %s", r.StatusCode, r.Body)
	}
	for owner.Do("GET", "/api/v1/containers/"+id, nil).StatusCode != 404 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("never deleted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	res = owner.Do("GET", pv+"/volumes", nil)
	if res.JSON["total"] != float64(1) || !strings.Contains(res.Body, `"users":[]`) {
		t.Errorf("after the deletion: %s", res.Body)
	}
	if r := owner.Do("DELETE", pv+"/volumes/shared", nil); r.StatusCode != 204 {
		t.Errorf("removal: %d %s", r.StatusCode, r.Body)
	}
	if r := owner.Do("DELETE", pv+"/volumes/shared", nil); r.StatusCode != 404 {
		t.Errorf("second removal: %d %s", r.StatusCode, r.Body)
	}
	evs, _, err := a.Store.ListTimelineEvents(context.Background(), store.TimelineFilter{ProjectUUIDs: []string{a.project.UUID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"volume_create", "volume_upload", "volume_delete"} {
		if !slices.ContainsFunc(evs, func(ev *store.TimelineEvent) bool { return ev.EventName == name && ev.Username == "olivia" }) {
			t.Errorf("no %s event by olivia in the timeline", name)
		}
	}
	if out, _ := run("docker", "volume", "ls", "-q", "--filter", "label=kiosc.instance="+a.instance); out != "" {
		t.Errorf("volumes left: %s", out)
	}
}
