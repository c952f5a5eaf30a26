package lifecycle_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/store"
)

// TestSharingAPI: the site setting (superusers change it, every user reads it, the timeline records it and names
// the apps it affects), access levels refused while off, and the links of a link app (contributors and up).
func TestSharingAPI(t *testing.T) {
	a := newAPIEnv(t, downDocker{})
	ctx := context.Background()
	admin := a.Login("admin", "admin-password")
	contrib := a.member("carla", "contributor")
	guest := a.member("gina", "guest")
	other := a.member("sam", "")

	res := guest.Do("GET", "/api/v1/settings", nil)
	if res.StatusCode != 200 || res.JSON["allow_link_access"] != false || res.JSON["allow_public_access"] != false {
		t.Fatalf("site settings as a user: %d %s", res.StatusCode, res.Body)
	}
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PUT", map[string]any{"allow_public_access": true}}} {
		if res := contrib.Do(c.method, "/api/v1/admin/settings", c.body); res.StatusCode != 403 {
			t.Fatalf("%s admin settings as a contributor: %d", c.method, res.StatusCode)
		}
	}

	create := func(access string) *struct {
		res  int
		body map[string]any
		code string
	} {
		r := contrib.Do("POST", "/api/v1/projects/"+a.project.UUID+"/containers", map[string]any{"title": "app " + access,
			"image": "registry.example/app:1", "access": access})
		fields, _ := r.JSON["error"].(map[string]any)
		f, _ := fields["fields"].(map[string]any)
		msg, _ := f["access"].(string)
		return &struct {
			res  int
			body map[string]any
			code string
		}{r.StatusCode, r.JSON, msg}
	}
	if r := create("public"); r.res != 400 || !strings.Contains(r.code, "public access is turned off") {
		t.Fatalf("a public container while off: %d %q", r.res, r.code)
	}
	if r := create("everyone"); r.res != 400 || r.code == "" {
		t.Fatalf("an unknown access level: %d %v", r.res, r.body)
	}
	// Templates take the same rule.
	if r := admin.Do("POST", "/api/v1/templates", map[string]any{"title": "t", "image": "registry.example/app:1", "access": "link"}); r.StatusCode != 400 ||
		!strings.Contains(r.Body, "link access is turned off") {
		t.Fatalf("a link template while off: %d %s", r.StatusCode, r.Body)
	}

	res = admin.Do("PUT", "/api/v1/admin/settings", map[string]any{"allow_link_access": true, "allow_public_access": true})
	if res.StatusCode != 200 || res.JSON["allow_link_access"] != true || res.JSON["allow_public_access"] != true {
		t.Fatalf("turning sharing on: %d %s", res.StatusCode, res.Body)
	}
	pub := create("public")
	link := create("link")
	if pub.res != 201 || link.res != 201 || pub.body["effective_access"] != "public" {
		t.Fatalf("created: %v %v", pub.body, link.body)
	}
	pubUUID, linkUUID := pub.body["uuid"].(string), link.body["uuid"].(string)

	// Links: contributors and up, only for a link app; the URL is shown once, on the app's origin.
	if r := guest.Do("POST", "/api/v1/containers/"+linkUUID+"/links", map[string]any{}); r.StatusCode != 403 {
		t.Fatalf("a guest creating a link: %d", r.StatusCode)
	}
	if r := other.Do("GET", "/api/v1/containers/"+linkUUID+"/links", nil); r.StatusCode != 404 {
		t.Fatalf("a user without a role listing links: %d", r.StatusCode)
	}
	if r := contrib.Do("POST", "/api/v1/containers/"+pubUUID+"/links", map[string]any{}); r.StatusCode != 409 || r.ErrorCode() != "link_access_off" {
		t.Fatalf("a link to a public app: %d %s", r.StatusCode, r.Body)
	}
	if r := contrib.Do("POST", "/api/v1/containers/"+linkUUID+"/links", map[string]any{"expires_in": "400d"}); r.StatusCode != 400 {
		t.Fatalf("a link valid for 400 days: %d %s", r.StatusCode, r.Body)
	}
	res = contrib.Do("POST", "/api/v1/containers/"+linkUUID+"/links", map[string]any{"name": "reviewers", "expires_in": "7d"})
	if res.StatusCode != 201 || res.JSON["expires_at"] == nil || res.JSON["name"] != "reviewers" {
		t.Fatalf("creating a link: %d %s", res.StatusCode, res.Body)
	}
	u, err := url.Parse(res.JSON["url"].(string))
	if err != nil || u.Host != "apps.test:8081" || u.Path != "/.kiosc/link" || u.Query().Get("app") != linkUUID ||
		!strings.HasPrefix(u.Query().Get("key"), "kl_") {
		t.Fatalf("link URL %q", res.JSON["url"])
	}
	secret := u.Query().Get("key")
	id := res.JSON["id"].(float64)
	list := contrib.Do("GET", "/api/v1/containers/"+linkUUID+"/links", nil)
	if list.StatusCode != 200 || list.JSON["total"] != float64(1) || strings.Contains(list.Body, secret) || strings.Contains(list.Body, "url") {
		t.Fatalf("links: %d %s", list.StatusCode, list.Body)
	}
	if r := a.Store; r != nil {
		// Only the secret's hash is kept.
		l, err := r.GetContainerLink(ctx, int64(id))
		if err != nil || strings.Contains(l.SecretHash, secret) || l.SecretHash == "" {
			t.Fatalf("stored link %+v %v", l, err)
		}
	}
	if r := guest.Do("DELETE", "/api/v1/containers/"+linkUUID+"/links/1", nil); r.StatusCode != 403 {
		t.Fatalf("a guest revoking: %d", r.StatusCode)
	}
	if r := contrib.Do("DELETE", "/api/v1/containers/"+pubUUID+"/links/1", nil); r.StatusCode != 404 {
		t.Fatalf("revoking through another container: %d", r.StatusCode)
	}
	if r := contrib.Do("DELETE", "/api/v1/containers/"+linkUUID+"/links/1", nil); r.StatusCode != 204 {
		t.Fatalf("revoking: %d %s", r.StatusCode, r.Body)
	}
	if r := contrib.Do("GET", "/api/v1/containers/"+linkUUID+"/links", nil); r.JSON["total"] != float64(0) {
		t.Fatalf("links after revoking: %s", r.Body)
	}

	// Turning public access off: the public app behaves as a project app (and says so), the answer names it.
	res = admin.Do("PUT", "/api/v1/admin/settings", map[string]any{"allow_public_access": false})
	affected, _ := res.JSON["affected"].([]any)
	if res.StatusCode != 200 || res.JSON["allow_link_access"] != true || len(affected) != 1 ||
		affected[0].(map[string]any)["uuid"] != pubUUID || affected[0].(map[string]any)["effective_access"] != "project" {
		t.Fatalf("turning public access off: %d %s", res.StatusCode, res.Body)
	}
	if r := guest.Do("GET", "/api/v1/containers/"+pubUUID, nil); r.JSON["access"] != "public" || r.JSON["effective_access"] != "project" {
		t.Fatalf("the public app while off: %s", r.Body)
	}

	evs, _, err := a.Store.ListTimelineEvents(ctx, store.TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, ev := range evs {
		names[ev.EventName]++
		if ev.EventName == "site_settings_update" && strings.Contains(ev.Description, "public access turned off") &&
			!strings.Contains(ev.Description, "behave as project apps") {
			t.Errorf("the timeline does not say what turning it off means: %q", ev.Description)
		}
	}
	if names["site_settings_update"] != 2 || names["link_create"] != 1 || names["link_revoke"] != 1 {
		t.Fatalf("timeline %v", names)
	}
}
