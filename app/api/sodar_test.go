package api_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/sodar/sodartest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

const sodarSecret = "apitestsecret0123456789abcdefghij"

func sodarEnv(t *testing.T, enabled bool) (*apitest.Env, *sodartest.Server, *sodar.Service) {
	src := sodartest.New(t, sodarSecret, []string{"1.0", "2.0"}, sodartest.ExamplePayload(t))
	var svc *sodar.Service
	e := apitest.New(t, apitest.Options{
		API: func(e *apitest.Env) []server.Module {
			h := &api.Sodar{Store: e.Store}
			if enabled {
				svc = &sodar.Service{Store: e.Store, Fetcher: &sodar.Client{URL: src.URL, Secret: sodarSecret}, Log: e.Log,
					DefaultOwner: "admin", Timeline: &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}}
				h.Syncer, h.URL, h.Interval, h.DefaultOwner = svc, src.URL, 5*time.Minute, "admin"
			}
			rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
			return []server.Module{h, &api.Projects{Store: e.Store, Checker: e.Checker, Timeline: rec},
				&api.Roles{Store: e.Store, Checker: e.Checker, Timeline: rec}}
		},
		Root: func(*apitest.Env) []server.Module { return []server.Module{api.SodarLinks{}} },
	})
	return e, src, svc
}

func TestSodarSyncEndpoint(t *testing.T) {
	e, _, _ := sodarEnv(t, true)
	admin := e.Login("admin", "admin-password")
	user := e.User("someone", false)

	for _, tc := range []struct {
		name   string
		c      *apitest.Client
		status int
	}{{"anonymous", e.Anonymous(), 401}, {"non-superuser", user, 403}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range [][2]string{{"POST", "/api/v1/admin/sodar/sync"}, {"GET", "/api/v1/admin/sodar/runs"}, {"GET", "/api/v1/admin/sodar"}} {
				if res := tc.c.Do(req[0], req[1], nil); res.StatusCode != tc.status {
					t.Fatalf("%s %s: %d %s", req[0], req[1], res.StatusCode, res.Body)
				}
			}
		})
	}

	res := admin.Do("POST", "/api/v1/admin/sodar/sync", nil)
	if res.StatusCode != 200 || res.JSON["status"] != "ok" || res.JSON["version"] != "2.0" || res.JSON["trigger"] != "ui" || res.JSON["user"] != "admin" {
		t.Fatalf("sync: %d %s", res.StatusCode, res.Body)
	}
	counts := res.JSON["counts"].(map[string]any)
	if counts["project"].(map[string]any)["created"] != float64(2) || counts["category"].(map[string]any)["created"] != float64(3) {
		t.Fatalf("counts %v", counts)
	}
	if _, err := e.Store.GetProjectByUUID(context.Background(), "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77"); err != nil {
		t.Fatal(err)
	}

	// With an API token the trigger says so.
	_, key, err := e.Auth.CreateToken(context.Background(), sodarAdminUser(t, e, "admin"), "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	script := e.Anonymous()
	script.Token = key
	res = script.Do("POST", "/api/v1/admin/sodar/sync", nil)
	if res.StatusCode != 200 || res.JSON["trigger"] != "api" {
		t.Fatalf("token sync: %d %s", res.StatusCode, res.Body)
	}

	res = admin.Do("GET", "/api/v1/admin/sodar/runs?limit=1", nil)
	if res.StatusCode != 200 || res.JSON["total"] != float64(2) || len(res.JSON["items"].([]any)) != 1 {
		t.Fatalf("runs: %d %s", res.StatusCode, res.Body)
	}
	if res := admin.Do("GET", "/api/v1/admin/sodar/runs?limit=x", nil); res.StatusCode != 400 {
		t.Fatalf("bad limit: %d", res.StatusCode)
	}
	res = admin.Do("GET", "/api/v1/admin/sodar", nil)
	if res.StatusCode != 200 || res.JSON["enabled"] != true || res.JSON["version"] != "2.0" || res.JSON["last_run"] == nil {
		t.Fatalf("status: %s", res.Body)
	}
	if u, _ := res.JSON["url"].(string); u == "" || containsStr(res.Body, sodarSecret) {
		t.Fatalf("status url: %s", res.Body)
	}
}

// Synced projects are read-only in kiosc and shown as SODAR's; local projects keep working beside them.
func TestSodarProjectsReadOnlyBesideLocalOnes(t *testing.T) {
	e, _, svc := sodarEnv(t, true)
	admin := e.Login("admin", "admin-password")
	if run, err := svc.Sync(context.Background(), sodar.TriggerAPI, "admin"); err != nil || run.Status != store.SodarRunOK {
		t.Fatalf("%v %+v", err, run)
	}
	const exome = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77"
	res := admin.Do("GET", "/api/v1/projects/"+exome, nil)
	if res.StatusCode != 200 || res.JSON["source"] != "sodar" || res.JSON["sodar_level"] != "READ_ROLES" {
		t.Fatalf("get: %d %s", res.StatusCode, res.Body)
	}
	for _, req := range []struct{ method, path string }{
		{"PATCH", "/api/v1/projects/" + exome},
		{"DELETE", "/api/v1/projects/" + exome},
		{"PUT", "/api/v1/projects/" + exome + "/roles/admin"},
	} {
		var body any
		switch req.method {
		case "PATCH":
			body = map[string]string{"title": "Renamed"}
		case "PUT":
			body = map[string]string{"role": "guest"}
		}
		if res := admin.Do(req.method, req.path, body); res.StatusCode != 409 || res.ErrorCode() != "read_only" {
			t.Fatalf("%s %s: %d %s", req.method, req.path, res.StatusCode, res.Body)
		}
	}
	// A local project next to the synced tree works as usual.
	res = admin.Do("POST", "/api/v1/projects", map[string]any{"title": "Local", "type": "PROJECT"})
	if res.StatusCode != 201 || res.JSON["source"] != "local" {
		t.Fatalf("local create: %d %s", res.StatusCode, res.Body)
	}
	if res := admin.Do("PATCH", "/api/v1/projects/"+res.JSON["uuid"].(string), map[string]string{"title": "Local 2"}); res.StatusCode != 200 {
		t.Fatalf("local patch: %d %s", res.StatusCode, res.Body)
	}
	// A later sync leaves the local project alone.
	if _, err := svc.Sync(context.Background(), sodar.TriggerAPI, "admin"); err != nil {
		t.Fatal(err)
	}
	if res := admin.Do("GET", "/api/v1/projects", nil); !containsStr(res.Body, "Local 2") || !containsStr(res.Body, "Exome Cohort 2024") {
		t.Fatalf("list: %s", res.Body)
	}
}

func TestSodarSyncConflictWhileRunning(t *testing.T) {
	e, src, svc := sodarEnv(t, true)
	admin := e.Login("admin", "admin-password")
	release := src.Hold()
	defer release()
	var wg sync.WaitGroup
	wg.Add(1)
	var first *apitest.Response
	go func() {
		defer wg.Done()
		first = admin.Do("POST", "/api/v1/admin/sodar/sync", nil)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !svc.Running() {
		if time.Now().After(deadline) {
			t.Fatal("sync never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	res := admin.Do("POST", "/api/v1/admin/sodar/sync", nil)
	if res.StatusCode != 409 || res.ErrorCode() != "sync_running" {
		t.Fatalf("overlapping: %d %s", res.StatusCode, res.Body)
	}
	if st := admin.Do("GET", "/api/v1/admin/sodar", nil); st.JSON["running"] != true {
		t.Fatalf("status while running: %s", st.Body)
	}
	release()
	wg.Wait()
	if first.StatusCode != 200 {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
}

func TestSodarDisabled(t *testing.T) {
	e, _, _ := sodarEnv(t, false)
	admin := e.Login("admin", "admin-password")
	if res := admin.Do("POST", "/api/v1/admin/sodar/sync", nil); res.StatusCode != 409 || res.ErrorCode() != "sodar_disabled" {
		t.Fatalf("%d %s", res.StatusCode, res.Body)
	}
	res := admin.Do("GET", "/api/v1/admin/sodar", nil)
	if res.StatusCode != 200 || res.JSON["enabled"] != false || res.JSON["url"] != nil {
		t.Fatalf("%s", res.Body)
	}
	if res := admin.Do("GET", "/api/v1/admin/sodar/runs", nil); res.StatusCode != 200 || res.JSON["total"] != float64(0) {
		t.Fatalf("%s", res.Body)
	}
}

func TestSodarProjectLinkRedirect(t *testing.T) {
	e, _, _ := sodarEnv(t, false)
	res := e.Send(httptest.NewRequest("GET", "/project/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77", nil))
	if res.StatusCode != 302 || res.Header.Get("Location") != "/projects/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77" {
		t.Fatalf("%d %v", res.StatusCode, res.Header)
	}
	if res := e.Send(httptest.NewRequest("GET", "/project/not-a-uuid", nil)); res.StatusCode != 404 {
		t.Fatalf("bad uuid: %d", res.StatusCode)
	}
}

func sodarAdminUser(t *testing.T, e *apitest.Env, name string) *store.User {
	t.Helper()
	u, err := e.Store.GetUserByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
