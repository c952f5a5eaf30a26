package lifecycle_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// The usage stream of a running app is for guests and up; the Docker stats stream behind it runs only while
// someone watches. Capacity is for superusers.
func TestUsageAPI(t *testing.T) {
	a, image, addr := servedAPIEnv(t)
	owner, guest, viewer, stranger := a.member("olivia", "owner"), a.member("gina", "guest"), a.member("victor", "viewer"),
		a.member("sam", "")
	admin := a.Login("admin", "admin-password")

	res := owner.Do("POST", "/api/v1/projects/"+a.project.UUID+"/containers", map[string]any{
		"title": "usage", "image": image, "container_port": dockertest.AppPort, "heartbeat_url": "/health",
		"memory_limit": 128 << 20, "cpu_limit": 0.5})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	id, _ := res.JSON["uuid"].(string)
	if res := owner.Do("POST", "/api/v1/containers/"+id+"/start", nil); res.StatusCode != 202 {
		t.Fatalf("start: %d %s", res.StatusCode, res.Body)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := a.Store.GetContainer(context.Background(), id)
		if err == nil && c.State == store.StateRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not running: %+v", c)
		}
		time.Sleep(100 * time.Millisecond)
	}
	path := "/api/v1/containers/" + id + "/usage/stream"

	t.Run("refused to viewers and strangers", func(t *testing.T) {
		for cl, want := range map[string]int{viewer.Cookie: http.StatusForbidden, stranger.Cookie: http.StatusNotFound} {
			h := http.Header{"Cookie": {web.SessionCookie + "=" + cl}}
			_, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+path, h)
			if err == nil || resp == nil || resp.StatusCode != want {
				t.Errorf("dial: %v %v, want %d", err, resp, want)
			}
		}
	})

	t.Run("a guest watches samples, and the stats stream ends with the last watcher", func(t *testing.T) {
		conn := wsDial(t, addr, guest, path)
		var first struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := conn.ReadJSON(&first); err != nil || first.Type != "history" {
			t.Fatalf("first message %+v %v", first, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var sample struct {
			Type string `json:"type"`
			Data struct {
				MemoryBytes uint64 `json:"memory_bytes"`
				MemoryLimit uint64 `json:"memory_limit"`
			} `json:"data"`
		}
		if err := conn.ReadJSON(&sample); err != nil || sample.Type != "sample" || sample.Data.MemoryBytes == 0 ||
			sample.Data.MemoryLimit != 128<<20 {
			t.Fatalf("sample %+v %v", sample, err)
		}
		if a.hub.Streams() != 1 {
			t.Fatalf("%d stats streams", a.hub.Streams())
		}
		_ = conn.Close()
		deadline := time.Now().Add(10 * time.Second)
		for a.hub.Streams() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the Docker stats stream stayed open after the page left")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("capacity for superusers", func(t *testing.T) {
		if res := owner.Do("GET", "/api/v1/admin/capacity", nil); res.StatusCode != 403 {
			t.Errorf("owner: %d", res.StatusCode)
		}
		res := admin.Do("GET", "/api/v1/admin/capacity", nil)
		if res.StatusCode != 200 {
			t.Fatalf("admin: %d %s", res.StatusCode, res.Body)
		}
		reserved, _ := res.JSON["reserved"].(map[string]any)
		apps, _ := res.JSON["apps"].([]any)
		if reserved["cpus"] != 0.5 || reserved["memory"] != float64(128<<20) || len(apps) != 1 {
			t.Fatalf("capacity %s", res.Body)
		}
	})
}
