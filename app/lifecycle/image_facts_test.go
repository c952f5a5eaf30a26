package lifecycle_test

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
)

// TestInspectImage: GET /images/inspect answers the exposed ports and working directory of an image the Docker host
// has, present false for one it has not (nothing is pulled), and only to contributors (and up) of some project.
func TestInspectImage(t *testing.T) {
	image := dockertest.TestAppImage(t)
	dk, err := docker.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dk.Close() })
	e := apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		m := lifecycle.New(e.Store, dk, e.Keys, e.Bus, nil, e.Log, lifecycle.Options{InstanceID: "test-inspect",
			HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: t.TempDir(), BaseURL: &url.URL{Scheme: "http", Host: "kiosc.test"},
			DefaultStartupTimeout: time.Minute, StopTimeout: time.Second})
		return []server.Module{&api.Images{Manager: m, Checker: e.Checker}}
	}})
	ctx := context.Background()
	project := &store.Project{Title: "P", Type: store.TypeProject, Source: "local"}
	if err := e.Store.CreateProject(ctx, project); err != nil {
		t.Fatal(err)
	}
	role := func(name, r string) *apitest.Client {
		c := e.User(name, false)
		u, _ := e.Store.GetUserByUsername(ctx, name)
		if _, err := e.Store.AssignRole(ctx, &store.RoleAssignment{ProjectID: project.ID, UserID: u.ID, Role: r, Source: "local"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	contributor, guest := role("carla", "contributor"), role("gus", "guest")

	r := contributor.Do("GET", "/api/v1/images/inspect?image="+url.QueryEscape(image), nil)
	if r.StatusCode != 200 || r.JSON["present"] != true || fmt.Sprint(r.JSON["exposed_ports"]) != "[8080]" {
		t.Errorf("inspect the test app: %d %s", r.StatusCode, r.Body)
	}
	r = contributor.Do("GET", "/api/v1/images/inspect?image=kiosc-test/never-built:x", nil)
	if r.StatusCode != 200 || r.JSON["present"] != false || fmt.Sprint(r.JSON["exposed_ports"]) != "[]" {
		t.Errorf("inspect a missing image: %d %s", r.StatusCode, r.Body)
	}
	if r := contributor.Do("GET", "/api/v1/images/inspect?image=Not%20An%20Image", nil); r.StatusCode != 400 {
		t.Errorf("a bad reference: %d %s", r.StatusCode, r.Body)
	}
	if r := guest.Do("GET", "/api/v1/images/inspect?image="+url.QueryEscape(image), nil); r.StatusCode != 403 {
		t.Errorf("a guest: %d %s", r.StatusCode, r.Body)
	}
	if r := e.Anonymous().Do("GET", "/api/v1/images/inspect?image="+url.QueryEscape(image), nil); r.StatusCode != 401 {
		t.Errorf("anonymous: %d", r.StatusCode)
	}
}
