package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// memberEnv is identityEnv with the member search.
func memberEnv(t *testing.T) *apitest.Env {
	return apitest.New(t, apitest.Options{API: func(e *apitest.Env) []server.Module {
		rec := &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}
		return []server.Module{
			&api.Projects{Store: e.Store, Checker: e.Checker, Timeline: rec},
			&api.Roles{Store: e.Store, Checker: e.Checker, Timeline: rec},
			&api.MemberSearch{Store: e.Store, Checker: e.Checker},
			&api.Timeline{Store: e.Store, Checker: e.Checker},
		}
	}})
}

func usernames(r *apitest.Response) []string {
	var out []string
	for _, it := range r.JSON["items"].([]any) {
		m := it.(map[string]any)
		role := "-"
		if m["role"] != nil {
			role = m["role"].(string)
		}
		out = append(out, m["username"].(string)+":"+role)
	}
	return out
}

// TestMemberSearch: owners, delegates and superusers find users to add by a part of their username or name, at least
// two characters, at most ten at a time, with their role in the project; others may not search; e-mail addresses are
// searched for superusers only.
func TestMemberSearch(t *testing.T) {
	e := memberEnv(t)
	su := e.Login("admin", "admin-password")
	proj := create(t, su, "Project", "PROJECT", "")
	owner := e.User("owner", false)
	contributor := e.User("contributor", false)
	nonmember := e.User("nonmember", false)
	grant(t, su, proj, "owner", "owner")
	grant(t, su, proj, "contributor", "contributor")
	ctx := context.Background()
	for i := range 12 {
		u := &store.User{Username: fmt.Sprintf("bob%02d", i), Name: "Robert Builder", Email: fmt.Sprintf("r%d@secret.example", i),
			IsActive: true, Source: store.SourceLocal}
		if err := e.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	carol := &store.User{Username: "carol", Name: "Carol Kim", Email: "ck@hidden.example", IsActive: true, Source: store.SourceLocal}
	if err := e.Store.CreateUser(ctx, carol); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/projects/" + proj + "/candidates?search="

	r := owner.Do("GET", path+"contrib", nil)
	mustStatus(t, r, 200)
	if got := usernames(r); len(got) != 1 || got[0] != "contributor:contributor" {
		t.Errorf("search contrib: %v", got)
	}
	r = owner.Do("GET", path+"kim", nil) // by name
	mustStatus(t, r, 200)
	if got := usernames(r); len(got) != 1 || got[0] != "carol:-" {
		t.Errorf("search by name: %v", got)
	}
	r = owner.Do("GET", path+"builder", nil)
	mustStatus(t, r, 200)
	if got := usernames(r); len(got) != 10 {
		t.Errorf("search builder: %d users, want at most 10", len(got))
	}
	r = owner.Do("GET", path+"hidden.example", nil)
	mustStatus(t, r, 200)
	if got := usernames(r); len(got) != 0 {
		t.Errorf("an owner found users by e-mail address: %v", got)
	}
	r = su.Do("GET", path+"hidden.example", nil)
	mustStatus(t, r, 200)
	if got := usernames(r); len(got) != 1 || got[0] != "carol:-" {
		t.Errorf("superuser search by e-mail: %v", got)
	}
	mustStatus(t, owner.Do("GET", path+"c", nil), 400)
	mustStatus(t, contributor.Do("GET", path+"carol", nil), 403)
	mustStatus(t, nonmember.Do("GET", path+"carol", nil), 404)
	mustStatus(t, e.Anonymous().Do("GET", path+"carol", nil), 401)
}

// TestTimelineFilters: the timeline narrows to events, a user and an object, and its facets list the events and
// users of the part the caller sees.
func TestTimelineFilters(t *testing.T) {
	e := memberEnv(t)
	su := e.Login("admin", "admin-password")
	proj := create(t, su, "Project", "PROJECT", "")
	other := create(t, su, "Other", "PROJECT", "")
	e.User("owner", false)
	grant(t, su, proj, "owner", "owner")
	guest := e.User("guest", false)
	grant(t, su, proj, "guest", "guest")
	grant(t, su, other, "owner", "owner")

	count := func(c *apitest.Client, query string) int {
		t.Helper()
		r := c.Do("GET", "/api/v1/timeline?"+query, nil)
		mustStatus(t, r, 200)
		return int(r.JSON["total"].(float64))
	}
	all := count(su, "")
	if n := count(su, "event=role_create"); n != 3 || n >= all {
		t.Errorf("role_create events: %d of %d", n, all)
	}
	if n := count(su, "event=role_create,project_create"); n != 5 {
		t.Errorf("role_create and project_create events: %d", n)
	}
	if n := count(su, "user=admin&event=project_create"); n != 2 {
		t.Errorf("project_create by admin: %d", n)
	}
	if n := count(su, "user=nobody"); n != 0 {
		t.Errorf("events by nobody: %d", n)
	}
	if n := count(su, "object="+proj); n != 1 {
		t.Errorf("events about the project: %d", n)
	}
	// The guest sees only the events of their project, filtered or not.
	if n := count(guest, "event=role_create"); n != 2 {
		t.Errorf("guest's role_create events: %d", n)
	}

	r := guest.Do("GET", "/api/v1/timeline/facets", nil)
	mustStatus(t, r, 200)
	if fmt.Sprint(r.JSON["events"]) != "[project_create role_create]" || fmt.Sprint(r.JSON["users"]) != "[admin]" {
		t.Errorf("guest's facets: %v", r.JSON)
	}
	r = su.Do("GET", "/api/v1/timeline/facets?project="+other, nil)
	mustStatus(t, r, 200)
	if fmt.Sprint(r.JSON["events"]) != "[project_create role_create]" {
		t.Errorf("facets of the other project: %v", r.JSON)
	}
	mustStatus(t, guest.Do("GET", "/api/v1/timeline/facets?project="+other, nil), 404)
}
