package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

// identityEnv is a server with the identity endpoints.
func identityEnv(t *testing.T) *apitest.Env {
	return apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		return []server.Module{
			&api.Tokens{Store: e.Store, Auth: e.Auth, Timeline: rec},
			&api.Users{Store: e.Store, Auth: e.Auth, Timeline: rec},
			&api.Projects{Store: e.Store, Checker: e.Checker, Timeline: rec},
			&api.Roles{Store: e.Store, Checker: e.Checker, Timeline: rec},
			&api.Timeline{Store: e.Store, Checker: e.Checker},
		}
	}})
}

func mustStatus(t *testing.T, r *apitest.Response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, want, r.Body)
	}
}

func create(t *testing.T, c *apitest.Client, title, typ, parent string) string {
	t.Helper()
	body := map[string]any{"title": title, "type": typ}
	if parent != "" {
		body["parent"] = parent
	}
	r := c.Do("POST", "/api/v1/projects", body)
	mustStatus(t, r, 201)
	return r.JSON["uuid"].(string)
}

func grant(t *testing.T, c *apitest.Client, project, username, role string) {
	t.Helper()
	r := c.Do("PUT", "/api/v1/projects/"+project+"/roles/"+username, map[string]string{"role": role})
	if r.StatusCode != 200 && r.StatusCode != 201 {
		t.Fatalf("grant %s %s: %d %s", username, role, r.StatusCode, r.Body)
	}
}

// TestPermissionMatrix checks every role (and superuser, non-member, anonymous) against every endpoint of
// projects, roles, timeline and user administration (spec section 4).
func TestPermissionMatrix(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	clients := map[string]*apitest.Client{"superuser": su, "anonymous": e.Anonymous()}
	for _, name := range []string{"owner", "delegate", "contributor", "guest", "viewer", "nonmember", "target"} {
		clients[name] = e.User(name, false)
	}
	cat := create(t, su, "Category", "CATEGORY", "")
	proj := create(t, su, "Project", "PROJECT", cat)
	grant(t, su, proj, "owner", "owner")
	grant(t, su, cat, "delegate", "delegate") // inherited from the category
	grant(t, su, proj, "contributor", "contributor")
	grant(t, su, cat, "guest", "guest") // inherited
	grant(t, su, proj, "viewer", "viewer")

	callers := []string{"superuser", "owner", "delegate", "contributor", "guest", "viewer", "nonmember", "anonymous"}
	ok := 200
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		before func(t *testing.T) // e.g. give the target a role to remove
		want   []int              // per caller, in the order of callers
	}{
		{"get project", "GET", "/api/v1/projects/" + proj, nil, nil, []int{ok, ok, ok, ok, ok, ok, 404, 401}},
		{"get category", "GET", "/api/v1/projects/" + cat, nil, nil, []int{ok, ok, ok, ok, ok, ok, 404, 401}},
		{"patch project", "PATCH", "/api/v1/projects/" + proj, map[string]string{"description": "changed"}, nil,
			[]int{ok, ok, ok, 403, 403, 403, 404, 401}},
		{"list roles", "GET", "/api/v1/projects/" + proj + "/roles", nil, nil, []int{ok, ok, ok, ok, ok, ok, 404, 401}},
		{"put role", "PUT", "/api/v1/projects/" + proj + "/roles/target", map[string]string{"role": "guest"},
			func(t *testing.T) { _ = su.Do("DELETE", "/api/v1/projects/"+proj+"/roles/target", nil) },
			[]int{201, 201, 201, 403, 403, 403, 404, 401}},
		{"delete role", "DELETE", "/api/v1/projects/" + proj + "/roles/target", nil,
			func(t *testing.T) { grant(t, su, proj, "target", "contributor") },
			[]int{204, 204, 204, 403, 403, 403, 404, 401}},
		{"project timeline", "GET", "/api/v1/timeline?project=" + proj, nil, nil, []int{ok, ok, ok, ok, ok, 403, 404, 401}},
		{"site timeline", "GET", "/api/v1/timeline", nil, nil, []int{ok, ok, ok, ok, ok, ok, ok, 401}},
		{"list users", "GET", "/api/v1/users", nil, nil, []int{ok, 403, 403, 403, 403, 403, 403, 401}},
		{"get user", "GET", "/api/v1/users/target", nil, nil, []int{ok, 403, 403, 403, 403, 403, 403, 401}},
		{"patch user", "PATCH", "/api/v1/users/target", map[string]string{"name": "Target"}, nil, []int{ok, 403, 403, 403, 403, 403, 403, 401}},
		{"create project", "POST", "/api/v1/projects", nil, nil, []int{201, 403, 403, 403, 403, 403, 403, 401}},
		{"create user", "POST", "/api/v1/users", nil, nil, []int{201, 403, 403, 403, 403, 403, 403, 401}},
		{"delete user", "DELETE", "/api/v1/users/victim", nil, func(t *testing.T) {
			if _, err := e.Store.GetUserByUsername(context.Background(), "victim"); err != nil {
				if err := e.Store.CreateUser(context.Background(), &store.User{Username: "victim", Source: store.SourceLocal, IsActive: true}); err != nil {
					t.Fatal(err)
				}
			}
		}, []int{204, 403, 403, 403, 403, 403, 403, 401}},
		{"own tokens", "GET", "/api/v1/tokens", nil, nil, []int{ok, ok, ok, ok, ok, ok, ok, 401}},
		{"create token", "POST", "/api/v1/tokens", map[string]string{"name": "t"}, nil, []int{201, 201, 201, 201, 201, 201, 201, 401}},
		{"delete project", "DELETE", "/api/v1/projects/" + proj, nil, nil, []int{204, 403, 403, 403, 403, 403, 404, 401}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Superuser last where it changes things irreversibly.
			order := append(append([]int{}, 1, 2, 3, 4, 5, 6, 7), 0)
			for _, i := range order {
				caller := callers[i]
				if tc.before != nil {
					tc.before(t)
				}
				body := tc.body
				if tc.name == "create project" {
					body = map[string]string{"title": "New by " + caller, "type": "PROJECT"}
				}
				if tc.name == "create user" {
					body = map[string]string{"username": "new-" + caller}
				}
				r := clients[caller].Do(tc.method, tc.path, body)
				if r.StatusCode != tc.want[i] {
					t.Errorf("%s: %s %s = %d, want %d: %s", caller, tc.method, tc.path, r.StatusCode, tc.want[i], r.Body)
				}
				if r.StatusCode == 404 && r.ErrorCode() != "not_found" || r.StatusCode == 401 && r.ErrorCode() != "unauthorized" {
					t.Errorf("%s: error code %q", caller, r.ErrorCode())
				}
			}
		})
	}
}

func TestProjectListAndPermissions(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	viewer := e.User("vera", false)
	stranger := e.User("stan", false)
	cat := create(t, su, "Top", "CATEGORY", "")
	sub := create(t, su, "Sub", "CATEGORY", cat)
	proj := create(t, su, "Deep", "PROJECT", sub)
	create(t, su, "Other", "PROJECT", "")
	grant(t, su, proj, "vera", "viewer")

	r := viewer.Do("GET", "/api/v1/projects", nil)
	mustStatus(t, r, 200)
	items := r.JSON["items"].([]any)
	got := map[string]map[string]any{}
	for _, it := range items {
		m := it.(map[string]any)
		got[m["title"].(string)] = m
	}
	if len(got) != 3 || got["Top"]["role"] != "finder" || got["Deep"]["role"] != "viewer" || got["Other"] != nil {
		t.Fatalf("viewer sees %v", got)
	}
	perms := got["Deep"]["permissions"].(map[string]any)
	if perms["view_project"] != true || perms["open_app"] != false || perms["manage_roles"] != false {
		t.Errorf("viewer permissions %v", perms)
	}
	if r := stranger.Do("GET", "/api/v1/projects", nil); r.JSON["total"].(float64) != 0 {
		t.Errorf("stranger sees %s", r.Body)
	}
	if r := su.Do("GET", "/api/v1/projects", nil); r.JSON["total"].(float64) != 4 {
		t.Errorf("superuser sees %s", r.Body)
	}
	// A finder may see the category but not its members or timeline.
	mustStatus(t, viewer.Do("GET", "/api/v1/projects/"+cat, nil), 200)
	mustStatus(t, viewer.Do("GET", "/api/v1/projects/"+cat+"/roles", nil), 403)

	t.Run("category with children", func(t *testing.T) {
		r := su.Do("DELETE", "/api/v1/projects/"+cat, nil)
		mustStatus(t, r, 409)
	})
	t.Run("no cycles", func(t *testing.T) {
		r := su.Do("PATCH", "/api/v1/projects/"+cat, map[string]string{"parent": sub})
		mustStatus(t, r, 400)
		if r.JSON["error"].(map[string]any)["fields"].(map[string]any)["parent"] == nil {
			t.Error(r.Body)
		}
	})
	t.Run("project with containers", func(t *testing.T) {
		p := create(t, su, "Busy", "PROJECT", "")
		pr, _ := e.Store.GetProjectByUUID(context.Background(), p)
		if err := e.Store.CreateContainer(context.Background(), &store.Container{ProjectID: pr.ID,
			Container: settings.Container{Title: "app", Image: "nginx"}}); err != nil {
			t.Fatal(err)
		}
		r := su.Do("DELETE", "/api/v1/projects/"+p, nil)
		mustStatus(t, r, 409)
		if !containsStr(r.Body, "delete its containers first") {
			t.Error(r.Body)
		}
	})
	t.Run("sodar read-only", func(t *testing.T) {
		p := &store.Project{Title: "Synced", Type: store.TypeProject, Source: store.SourceSodar}
		if err := e.Store.CreateProject(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		r := su.Do("PATCH", "/api/v1/projects/"+p.UUID, map[string]string{"title": "x"})
		mustStatus(t, r, 409)
		if r.ErrorCode() != "read_only" {
			t.Error(r.Body)
		}
		mustStatus(t, su.Do("PUT", "/api/v1/projects/"+p.UUID+"/roles/vera", map[string]string{"role": "guest"}), 409)
	})
}

func TestValidation(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	cases := []struct {
		method, path string
		body         any
		fields       []string
	}{
		{"POST", "/api/v1/projects", map[string]any{"title": "", "type": "FOLDER"}, []string{"title", "type"}},
		{"POST", "/api/v1/projects", map[string]any{"title": "x", "type": "PROJECT", "parent": "nope"}, []string{"parent"}},
		{"POST", "/api/v1/projects", map[string]any{"title": "x", "type": "PROJECT", "colour": "red"}, []string{"colour"}},
		{"POST", "/api/v1/users", map[string]any{"username": "-bad name", "password": "short", "email": "nope"}, []string{"username", "password", "email"}},
		{"POST", "/api/v1/tokens", map[string]any{"name": "", "expires_in": "soon"}, []string{"name", "expires_in"}},
		{"POST", "/api/v1/tokens", map[string]any{"name": "x", "expires_in": -5}, []string{"expires_in"}},
		{"PATCH", "/api/v1/users/admin", map[string]any{"is_superuser": "yes"}, []string{"is_superuser"}},
		{"POST", "/api/v1/me/password", map[string]any{"current_password": "wrong", "new_password": "1"}, []string{"current_password", "new_password"}},
		{"GET", "/api/v1/users?limit=many", nil, []string{"limit"}},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := su.Do(tc.method, tc.path, tc.body)
			mustStatus(t, r, 400)
			fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
			for _, f := range tc.fields {
				if fields[f] == nil {
					t.Errorf("field %s not named: %s", f, r.Body)
				}
			}
		})
	}
	t.Run("role", func(t *testing.T) {
		p := create(t, su, "P", "PROJECT", "")
		r := su.Do("PUT", "/api/v1/projects/"+p+"/roles/admin", map[string]string{"role": "king"})
		mustStatus(t, r, 400)
		r = su.Do("PUT", "/api/v1/projects/"+p+"/roles/nobody", map[string]string{"role": "guest"})
		mustStatus(t, r, 404)
	})
}

func TestCSRF(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	noHeader := *su
	noHeader.CSRF = ""
	r := noHeader.Do("POST", "/api/v1/tokens", map[string]string{"name": "x"})
	mustStatus(t, r, 403)
	if r.ErrorCode() != "csrf_failed" {
		t.Error(r.Body)
	}
	mustStatus(t, su.Do("POST", "/api/v1/tokens", map[string]string{"name": "x"}), 201)
}

func TestTokens(t *testing.T) {
	e := identityEnv(t)
	alice := e.User("alice", false)
	bob := e.User("bob", false)
	r := alice.Do("POST", "/api/v1/tokens", map[string]any{"name": "script", "expires_in": "30d"})
	mustStatus(t, r, 201)
	secret := r.JSON["token"].(string)
	id := fmt.Sprint(r.JSON["id"])
	exp, err := time.Parse(time.RFC3339, r.JSON["expires_at"].(string))
	if err != nil || time.Until(exp) < 29*24*time.Hour {
		t.Errorf("expires_at %v", r.JSON["expires_at"])
	}
	for _, scheme := range []string{"Token ", "Bearer "} {
		req := httptestRequest("GET", "/api/v1/tokens", scheme+secret)
		res := e.Send(req)
		mustStatus(t, res, 200)
		items := res.JSON["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["token"] != nil {
			t.Fatalf("list: %s", res.Body)
		}
		if items[0].(map[string]any)["last_used_at"] == nil {
			t.Error("last_used_at not set")
		}
	}
	// Token-authenticated writes need no CSRF header.
	tok := e.Anonymous()
	tok.Token = secret
	mustStatus(t, tok.Do("POST", "/api/v1/tokens", map[string]any{"name": "second", "expires_in": 3600}), 201)
	// Another user cannot revoke it.
	mustStatus(t, bob.Do("DELETE", "/api/v1/tokens/"+id, nil), 404)
	mustStatus(t, alice.Do("DELETE", "/api/v1/tokens/"+id, nil), 204)
	res := e.Send(httptestRequest("GET", "/api/v1/tokens", "Bearer "+secret))
	mustStatus(t, res, 401)

	t.Run("expiry", func(t *testing.T) {
		u, _ := e.Store.GetUserByUsername(context.Background(), "alice")
		_, secret, err := e.Auth.CreateToken(context.Background(), u, "short", time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		res := e.Send(httptestRequest("GET", "/api/v1/tokens", "Token "+secret))
		mustStatus(t, res, 401)
	})
	t.Run("disabled user", func(t *testing.T) {
		su := e.Login("admin", "admin-password")
		r := bob.Do("POST", "/api/v1/tokens", map[string]any{"name": "b"})
		secret := r.JSON["token"].(string)
		mustStatus(t, su.Do("PATCH", "/api/v1/users/bob", map[string]any{"is_active": false}), 200)
		mustStatus(t, e.Send(httptestRequest("GET", "/api/v1/tokens", "Token "+secret)), 401)
		mustStatus(t, bob.Do("GET", "/api/v1/tokens", nil), 401)
	})
}

func TestUsers(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	r := su.Do("POST", "/api/v1/users", map[string]any{"username": "carol", "password": "carol-pass-1", "name": "Carol", "email": "carol@example.org"})
	mustStatus(t, r, 201)
	carol := e.Login("carol", "carol-pass-1")
	mustStatus(t, su.Do("POST", "/api/v1/users", map[string]any{"username": "carol"}), 409)
	r = su.Do("GET", "/api/v1/users?search=caro", nil)
	if r.JSON["total"].(float64) != 1 {
		t.Errorf("search: %s", r.Body)
	}
	// Reset password ends their sessions.
	mustStatus(t, su.Do("PATCH", "/api/v1/users/carol", map[string]any{"password": "new-pass-123"}), 200)
	mustStatus(t, carol.Do("GET", "/api/v1/me", nil), 401)
	carol = e.Login("carol", "new-pass-123")
	// Own password change keeps the caller logged in with a fresh session.
	other := e.Login("carol", "new-pass-123")
	r = carol.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "new-pass-123", "new_password": "newer-pass-456"})
	mustStatus(t, r, 200)
	mustStatus(t, other.Do("GET", "/api/v1/me", nil), 401)
	for _, ck := range r.Cookies {
		if ck.Name == web.SessionCookie {
			carol.Cookie = ck.Value
		}
	}
	carol.CSRF = r.JSON["csrf_token"].(string)
	mustStatus(t, carol.Do("GET", "/api/v1/me", nil), 200)
	// The last superuser stays.
	mustStatus(t, su.Do("PATCH", "/api/v1/users/admin", map[string]any{"is_superuser": false}), 409)
	mustStatus(t, su.Do("DELETE", "/api/v1/users/admin", nil), 409)
	mustStatus(t, su.Do("PATCH", "/api/v1/users/carol", map[string]any{"is_superuser": true}), 200)
	mustStatus(t, su.Do("PATCH", "/api/v1/users/admin", map[string]any{"is_active": false}), 200)
	// SODAR users keep name and email from the sync.
	if err := e.Store.CreateUser(context.Background(), &store.User{Username: "sam", Source: store.SourceSodar, IsActive: true}); err != nil {
		t.Fatal(err)
	}
	admin2 := e.Login("carol", "newer-pass-456")
	r = admin2.Do("PATCH", "/api/v1/users/sam", map[string]any{"name": "Sam"})
	mustStatus(t, r, 409)
	mustStatus(t, admin2.Do("PATCH", "/api/v1/users/sam", map[string]any{"is_superuser": true}), 200)
	mustStatus(t, admin2.Do("DELETE", "/api/v1/users/sam", nil), 204)
	mustStatus(t, admin2.Do("GET", "/api/v1/users/sam", nil), 404)
}

func TestRoleRules(t *testing.T) {
	e := identityEnv(t)
	su := e.Login("admin", "admin-password")
	owner := e.User("olga", false)
	delegate := e.User("dave", false)
	e.User("carl", false)
	e.User("nina", false)
	p := create(t, su, "P", "PROJECT", "")
	grant(t, su, p, "olga", "owner")
	grant(t, su, p, "dave", "delegate")
	mustStatus(t, delegate.Do("PUT", "/api/v1/projects/"+p+"/roles/carl", map[string]string{"role": "delegate"}), 403)
	mustStatus(t, delegate.Do("PUT", "/api/v1/projects/"+p+"/roles/olga", map[string]string{"role": "guest"}), 403)
	mustStatus(t, delegate.Do("PUT", "/api/v1/projects/"+p+"/roles/carl", map[string]string{"role": "contributor"}), 201)
	mustStatus(t, delegate.Do("PUT", "/api/v1/projects/"+p+"/roles/carl", map[string]string{"role": "guest"}), 200)
	mustStatus(t, owner.Do("DELETE", "/api/v1/projects/"+p+"/roles/olga", nil), 409)
	// A new owner demotes the previous one.
	mustStatus(t, owner.Do("PUT", "/api/v1/projects/"+p+"/roles/nina", map[string]string{"role": "owner"}), 201)
	r := su.Do("GET", "/api/v1/projects/"+p+"/roles", nil)
	roles := map[string]string{}
	for _, it := range r.JSON["items"].([]any) {
		m := it.(map[string]any)
		roles[m["username"].(string)] = m["role"].(string)
	}
	if roles["nina"] != "owner" || roles["olga"] != "delegate" || roles["carl"] != "guest" {
		t.Errorf("roles %v", roles)
	}
}

func TestTimelineRecordsEveryChange(t *testing.T) {
	e := identityEnv(t)
	sub := e.Bus.Subscribe(100, nil)
	su := e.Login("admin", "admin-password")
	p := create(t, su, "P", "PROJECT", "")
	mustStatus(t, su.Do("POST", "/api/v1/users", map[string]any{"username": "ulla", "password": "ulla-pass-1"}), 201)
	mustStatus(t, su.Do("PATCH", "/api/v1/users/ulla", map[string]any{"name": "Ulla"}), 200)
	grant(t, su, p, "ulla", "guest")
	grant(t, su, p, "ulla", "contributor")
	mustStatus(t, su.Do("DELETE", "/api/v1/projects/"+p+"/roles/ulla", nil), 204)
	mustStatus(t, su.Do("PATCH", "/api/v1/projects/"+p, map[string]any{"title": "P2"}), 200)
	r := su.Do("POST", "/api/v1/tokens", map[string]any{"name": "t"})
	secret := r.JSON["token"].(string)
	mustStatus(t, su.Do("DELETE", "/api/v1/tokens/"+fmt.Sprint(r.JSON["id"]), nil), 204)
	ulla := e.Login("ulla", "ulla-pass-1")
	mustStatus(t, ulla.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "ulla-pass-1", "new_password": "ulla-pass-2"}), 200)
	mustStatus(t, su.Do("DELETE", "/api/v1/users/ulla", nil), 204)
	mustStatus(t, su.Do("DELETE", "/api/v1/projects/"+p, nil), 204)

	want := []string{"project_create", "user_create", "user_update", "role_create", "role_update", "role_delete", "project_update",
		"token_create", "token_revoke", "user_password_change", "user_delete", "project_delete"}
	r = su.Do("GET", "/api/v1/timeline?limit=100", nil)
	mustStatus(t, r, 200)
	items := r.JSON["items"].([]any)
	if len(items) != len(want) || int(r.JSON["total"].(float64)) != len(want) {
		t.Fatalf("got %d events, want %d: %s", len(items), len(want), r.Body)
	}
	for i, name := range want {
		ev := items[len(items)-1-i].(map[string]any) // newest first
		if ev["event_name"] != name {
			t.Errorf("event %d = %v, want %s", i, ev["event_name"], name)
		}
		for _, k := range []string{"uuid", "time", "user", "description", "status", "object_type", "object_uuid", "extra_data"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("%s lacks %s", name, k)
			}
		}
	}
	if containsStr(r.Body, secret) || containsStr(r.Body, "ulla-pass") {
		t.Error("timeline contains a secret")
	}
	// Pagination.
	r = su.Do("GET", "/api/v1/timeline?limit=5&offset=10", nil)
	if len(r.JSON["items"].([]any)) != 2 {
		t.Errorf("page: %s", r.Body)
	}
	// Every event was published on the bus.
	n := 0
	for len(sub.C()) > 0 {
		<-sub.C()
		n++
	}
	if n != len(want) {
		t.Errorf("published %d events, want %d", n, len(want))
	}
}
