package sodar_test

import (
	"context"
	"errors"
	"testing"

	"github.com/bihealth/kiosc/app/store"
)

// UUIDs of the reference example (testdata/example-*.json).
const (
	genomics     = "0c6d2a4e-1f3b-4c5d-8e7f-9a0b1c2d3e55"
	rareDiseases = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c66"
	exome        = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d77"
	archive      = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e88"
	oldPanel     = "4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f99"
)

func TestSyncExampleEachVersion(t *testing.T) {
	for _, version := range []string{"2.1", "2.0", "1.0"} {
		t.Run(version, func(t *testing.T) {
			e := newEnv(t)
			var accepted []string
			for _, v := range []string{"1.0", "2.0", "2.1"} {
				accepted = append(accepted, v)
				if v == version {
					break
				}
			}
			e.src.SetVersions(accepted...)
			run := e.sync(t)
			if run.Status != store.SodarRunOK || run.Version != version {
				t.Fatalf("status %s version %s error %q messages %+v", run.Status, run.Version, run.Error, run.Messages)
			}
			if v, _ := e.st.GetSetting(context.Background(), store.SettingSodarSyncVersion); v != version {
				t.Fatalf("setting sodar_sync_version = %q", v)
			}

			// Hierarchy with the source's UUIDs, types and levels.
			for _, c := range []struct{ id, title, typ, parent, level string }{
				{genomics, "Genomics", "CATEGORY", "", "READ_ROLES"},
				{rareDiseases, "Rare Diseases", "CATEGORY", genomics, "READ_ROLES"},
				{exome, "Exome Cohort 2024", "PROJECT", rareDiseases, "READ_ROLES"},
				{archive, "Archive", "CATEGORY", "", "READ_INFO"},
				{oldPanel, "Old Panel Study", "PROJECT", archive, "REVOKED"},
			} {
				p := e.project(t, c.id)
				if p.Title != c.title || p.Type != c.typ || p.ParentUUID != c.parent || p.SodarLevel != c.level || p.Source != store.SourceSodar {
					t.Errorf("%s: got %+v", c.title, p)
				}
			}
			if d := e.project(t, exome).Description; d != "Trio exomes" {
				t.Errorf("description %q", d)
			}
			if d := e.project(t, rareDiseases).Description; d != "" {
				t.Errorf("null description stored as %q", d)
			}

			// Users: non-local ones created without password; the SODAR-local admin is not touched.
			for _, name := range []string{"alice@EXAMPLE", "bob.jones@example.org", "carol.white", "erin@EXAMPLE"} {
				u := e.user(t, name)
				if u.Source != store.SourceSodar || u.PasswordHash != "" || u.SodarUUID == "" || u.IsSuperuser {
					t.Errorf("%s: %+v", name, u)
				}
			}
			if u := e.user(t, "alice@EXAMPLE"); u.Name != "Alice Smith" || u.Email != "alice.smith@example.org" ||
				u.SodarUUID != "6f1c2d34-8b7e-4c1a-a2d9-5e0f7b3c9a11" {
				t.Errorf("alice: %+v", u)
			}
			admin := e.user(t, "admin")
			if admin.Source != store.SourceLocal || admin.Email != "" || admin.SodarUUID != "" {
				t.Errorf("kiosc admin changed by a SODAR-local account: %+v", admin)
			}
			// is_active only comes with 2.1.
			if got, want := e.user(t, "carol.white").IsActive, version != "2.1"; got != want {
				t.Errorf("carol active %v, want %v", got, want)
			}
			_, err := e.st.GetUserByUsername(context.Background(), "dave@EXAMPLE")
			if version == "1.0" && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("dave (viewer only, absent from 1.0) exists: %v", err)
			}

			// Roles: the local SODAR admin's ownership goes to the default owner; finder on the category.
			equal(t, "Genomics roles", e.roleMap(t, genomics), []string{"admin=owner", "bob.jones@example.org=finder"})
			equal(t, "Rare Diseases roles", e.roleMap(t, rareDiseases), []string{"alice@EXAMPLE=owner"})
			want := []string{"alice@EXAMPLE=owner", "bob.jones@example.org=delegate", "carol.white=contributor"}
			if version != "1.0" {
				want = append(want, "dave@EXAMPLE=viewer")
			}
			equal(t, "Exome roles", e.roleMap(t, exome), want)
			equal(t, "Archive roles", e.roleMap(t, archive), nil)
			equal(t, "Old Panel roles", e.roleMap(t, oldPanel), []string{"alice@EXAMPLE=owner"}) // REVOKED: owner and delegates only
			// Role assignments take the source's UUIDs.
			rs, _ := e.st.ListProjectRoles(context.Background(), e.project(t, exome).ID)
			for _, r := range rs {
				if r.Username == "alice@EXAMPLE" && r.UUID != "22222222-aaaa-4bbb-8ccc-000000000001" {
					t.Errorf("owner assignment uuid %s", r.UUID)
				}
				if r.Source != store.SourceSodar {
					t.Errorf("assignment source %s", r.Source)
				}
			}

			if c := run.Counts["category"]; c.Created != 3 {
				t.Errorf("category counts %+v", c)
			}
			if c := run.Counts["role"]; (version != "1.0" && c.Created != 8) || (version == "1.0" && c.Created != 7) {
				t.Errorf("role counts %+v", c)
			}
			if c := run.Counts["project"]; c.Created != 2 {
				t.Errorf("project counts %+v", c)
			}

			// A second run with the same payload changes nothing.
			again := e.sync(t)
			if again.Status != store.SodarRunOK || again.Totals.Created+again.Totals.Updated+again.Totals.Removed != 0 {
				t.Fatalf("second run changed things: %+v %+v", again.Totals, again.Messages)
			}
			runs, total, err := e.st.ListSodarRuns(context.Background(), store.Page{})
			if err != nil || total != 2 || runs[0].UUID != again.UUID {
				t.Fatalf("runs: %d %v", total, err)
			}
		})
	}
}

func TestRoleChangesAndRemovalsAcrossRuns(t *testing.T) {
	e := newEnv(t)
	const cat, proj = "c0000000-0000-4000-8000-000000000001", "p0000000-0000-4000-8000-000000000001"
	build := func(projectRoles map[string]any) *payload {
		p := newPayload()
		for i, n := range []string{"alice", "bob", "carol", "dave", "erin"} {
			p.user("u000000"+string(rune('1'+i))+"-0000-4000-8000-000000000000", n)
		}
		p.category(cat, "Cat", "", "READ_ROLES", roles("rc1", "alice", "project owner"))
		p.project(proj, "Proj", cat, "READ_ROLES", projectRoles)
		return p
	}
	e.src.SetJSON(build(roles("r1", "alice", "project owner", "r2", "bob", "project delegate", "r3", "carol", "project contributor",
		"r4", "dave", "project guest")))
	if run := e.sync(t); run.Status != store.SodarRunOK {
		t.Fatalf("%+v", run.Messages)
	}
	equal(t, "first", e.roleMap(t, proj), []string{"alice=owner", "bob=delegate", "carol=contributor", "dave=guest"})

	// carol contributor → guest, dave removed, owner alice → erin, bob unchanged.
	e.src.SetJSON(build(roles("r5", "erin", "project owner", "r2", "bob", "project delegate", "r3", "carol", "project guest")))
	run := e.sync(t)
	equal(t, "second", e.roleMap(t, proj), []string{"bob=delegate", "carol=guest", "erin=owner"})
	if c := run.Counts["role"]; c.Created != 1 || c.Updated != 1 || c.Removed != 2 {
		t.Fatalf("role counts %+v", c)
	}
	// The category kept its roles (READ_ROLES, unchanged).
	equal(t, "category", e.roleMap(t, cat), []string{"alice=owner"})

	// The old owner becomes a contributor; the owner is never removed by omission.
	e.src.SetJSON(build(roles("r6", "alice", "project contributor", "r2", "bob", "project delegate")))
	e.sync(t)
	equal(t, "third", e.roleMap(t, proj), []string{"alice=contributor", "bob=delegate", "erin=owner"})

	// Timeline has the per-change events with object type and UUID.
	evs, _, err := e.st.ListTimelineEvents(context.Background(), store.TimelineFilter{ProjectUUIDs: []string{proj}, Page: store.Page{Limit: 500}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, ev := range evs {
		names[ev.EventName]++
		if ev.ObjectUUID == "" || ev.ObjectType == "" || ev.Username != "admin" {
			t.Errorf("event %+v", ev)
		}
	}
	if names["sodar_project_create"] != 1 || names["sodar_role_create"] < 5 || names["sodar_role_update"] < 1 || names["sodar_role_delete"] < 3 {
		t.Fatalf("events %v", names)
	}
}

func TestRevokedTransition(t *testing.T) {
	e := newEnv(t)
	const cat, proj = "c0000000-0000-4000-8000-000000000002", "p0000000-0000-4000-8000-000000000002"
	build := func(level, catLevel string, projectRoles map[string]any) *payload {
		p := newPayload()
		for _, n := range []string{"owner", "deleg", "contrib", "guest", "viewer", "catguest"} {
			p.user("uuid-"+n, n)
		}
		var catRoles map[string]any
		if catLevel == "READ_ROLES" {
			catRoles = roles("rc1", "catguest", "project guest")
		}
		p.category(cat, "Cat", "", catLevel, catRoles)
		p.project(proj, "Proj", cat, level, projectRoles)
		return p
	}
	e.src.SetJSON(build("READ_ROLES", "READ_ROLES", roles("r1", "owner", "project owner", "r2", "deleg", "project delegate",
		"r3", "contrib", "project contributor", "r4", "guest", "project guest", "r5", "viewer", "project viewer")))
	e.sync(t)
	equal(t, "before", e.roleMap(t, proj), []string{"contrib=contributor", "deleg=delegate", "guest=guest", "owner=owner", "viewer=viewer"})

	// SODAR sends only owner and delegate for a REVOKED project; the category arrives as READ_INFO.
	e.src.SetJSON(build("REVOKED", "READ_INFO", roles("r1", "owner", "project owner", "r2", "deleg", "project delegate")))
	run := e.sync(t)
	equal(t, "after", e.roleMap(t, proj), []string{"deleg=delegate", "owner=owner"})
	if p := e.project(t, proj); p.SodarLevel != "REVOKED" {
		t.Fatalf("level %s", p.SodarLevel)
	}
	if c := run.Counts["role"]; c.Removed != 3 {
		t.Fatalf("role counts %+v", c)
	}
	// READ_INFO categories keep their roles.
	equal(t, "category", e.roleMap(t, cat), []string{"catguest=guest"})
	// Access follows: a role inherited from the category no longer reaches the REVOKED project.
	checkVisible(t, e, "catguest", map[string]string{cat: "guest"})
	checkVisible(t, e, "guest", map[string]string{})
	checkVisible(t, e, "deleg", map[string]string{cat: "", proj: "delegate"})

	// Even a REVOKED payload that still lists others keeps only owner and delegate.
	e.src.SetJSON(build("READ_ROLES", "READ_INFO", roles("r1", "owner", "project owner", "r2", "deleg", "project delegate",
		"r3", "contrib", "project contributor")))
	e.sync(t)
	equal(t, "re-shared", e.roleMap(t, proj), []string{"contrib=contributor", "deleg=delegate", "owner=owner"})
	e.src.SetJSON(build("REVOKED", "READ_INFO", roles("r1", "owner", "project owner", "r2", "deleg", "project delegate",
		"r3", "contrib", "project contributor")))
	e.sync(t)
	equal(t, "revoked again", e.roleMap(t, proj), []string{"deleg=delegate", "owner=owner"})
}

func TestBadEntriesAreSkippedAndTheRestSyncs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A local category "Clash" at the top level, as kiosc users may have created.
	local := &store.Project{Title: "Clash", Type: store.TypeCategory, Source: store.SourceLocal}
	if err := e.st.CreateProject(ctx, local); err != nil {
		t.Fatal(err)
	}
	// An existing kiosc project whose UUID SODAR uses for a category.
	mismatch := &store.Project{UUID: "a0000000-0000-4000-8000-00000000000f", Title: "Mismatch", Type: store.TypeProject, Source: store.SourceSodar}
	if err := e.st.CreateProject(ctx, mismatch); err != nil {
		t.Fatal(err)
	}

	p := newPayload()
	p.user("u1", "alice")
	p.Users["u-bad"] = map[string]any{"username": 42}
	p.Users["u-empty"] = map[string]any{"username": "", "groups": []string{"oidc"}}
	p.category("good-cat", "Good", "", "READ_ROLES", roles("rg", "alice", "project owner"))
	p.project("good", "Fine", "good-cat", "READ_ROLES", roles("r1", "alice", "project owner", "r2", "alice", "project emperor",
		"r3", "alice", "project finder", "r4", "nobody", "project guest"))
	p.project("orphan", "Orphan", "missing-parent", "READ_ROLES", roles("r5", "alice", "project owner"))
	p.category("clash-cat", "Clash", "", "READ_INFO", nil)
	p.project("under-clash", "Under clash", "clash-cat", "READ_ROLES", roles("r6", "alice", "project owner"))
	p.project("sib1", "Twin", "good-cat", "READ_ROLES", roles("r7", "alice", "project owner"))
	p.project("sib2", "Twin", "good-cat", "READ_ROLES", roles("r8", "alice", "project owner"))
	p.category(mismatch.UUID, "Mismatch cat", "", "READ_INFO", nil)
	p.project("under-mismatch", "Under mismatch", mismatch.UUID, "READ_ROLES", nil)
	p.project("no-title", "", "good-cat", "READ_ROLES", nil)
	p.Projects["malformed"] = map[string]any{"title": 7, "type": "PROJECT", "level": "READ_ROLES"}
	p.category("weird-type", "Weird", "", "READ_INFO", nil)["type"] = "FOLDER"
	p.project("under-weird", "Under weird", "weird-type", "READ_ROLES", nil)
	e.src.SetJSON(p)

	run := e.sync(t)
	if run.Status != store.SodarRunPartial {
		t.Fatalf("status %s, error %q", run.Status, run.Error)
	}
	// What is fine is synced.
	equal(t, "good roles", e.roleMap(t, "good"), []string{"alice=owner"})
	e.project(t, "sib1")
	for _, id := range []string{"orphan", "clash-cat", "under-clash", "sib2", "under-mismatch", "no-title", "malformed", "weird-type", "under-weird"} {
		e.noProject(t, id)
	}
	if got := e.project(t, local.UUID); got.Source != store.SourceLocal || got.Title != "Clash" {
		t.Fatalf("local category changed: %+v", got)
	}
	if got := e.project(t, mismatch.UUID); got.Type != store.TypeProject || got.Title != "Mismatch" {
		t.Fatalf("type mismatch changed the project: %+v", got)
	}
	for _, want := range []string{
		`unknown role "project emperor"`,
		"finder role applies to categories only",
		`user "nobody" is not in kiosc`,
		"parent missing-parent not found",
		"parent clash-cat was skipped",
		`a local category titled "Clash"`,
		`a project titled "Twin"`,
		"SODAR sends a category",
		"title missing",
		"malformed project entry",
		"malformed user entry",
		`unknown type "FOLDER"`,
	} {
		if !hasMessage(run, "error", want) {
			t.Errorf("no error message containing %q in %+v", want, run.Messages)
		}
	}
	if run.Totals.Skipped < 12 {
		t.Errorf("skipped %d", run.Totals.Skipped)
	}
}

func TestTitleClashOnUpdate(t *testing.T) {
	e := newEnv(t)
	p := newPayload()
	p.user("u1", "alice")
	p.category("cat", "Cat", "", "READ_ROLES", roles("rc", "alice", "project owner"))
	p.project("one", "One", "cat", "READ_ROLES", roles("r1", "alice", "project owner"))
	p.project("two", "Two", "cat", "READ_ROLES", roles("r2", "alice", "project owner"))
	e.src.SetJSON(p)
	e.sync(t)
	// "two" is renamed to "One" while "one" keeps its title: the rename is refused, "two" keeps syncing roles.
	p.Projects["two"].(map[string]any)["title"] = "One"
	p.Projects["two"].(map[string]any)["roles"] = roles("r2", "alice", "project owner", "r3", "bob", "project guest")
	p.user("u2", "bob")
	e.src.SetJSON(p)
	run := e.sync(t)
	if !hasMessage(run, "error", `titled "One" exists under the same parent`) {
		t.Fatalf("messages %+v", run.Messages)
	}
	if got := e.project(t, "two").Title; got != "Two" {
		t.Fatalf("title %q", got)
	}
	equal(t, "two roles", e.roleMap(t, "two"), []string{"alice=owner", "bob=guest"})

	// Title, description and parent changes are applied in place.
	p.Projects["two"].(map[string]any)["title"] = "Second"
	p.Projects["two"].(map[string]any)["description"] = "new text"
	p.category("cat2", "Other", "", "READ_INFO", nil)
	p.Projects["one"].(map[string]any)["parent_uuid"] = "cat2"
	e.src.SetJSON(p)
	run = e.sync(t)
	if got := e.project(t, "two"); got.Title != "Second" || got.Description != "new text" {
		t.Fatalf("%+v", got)
	}
	if got := e.project(t, "one"); got.ParentUUID != "cat2" {
		t.Fatalf("not re-parented: %+v", got)
	}
	if run.Counts["project"].Updated != 2 || run.Status != store.SodarRunOK {
		t.Fatalf("%+v %+v", run.Counts["project"], run.Messages)
	}
}

func TestLocalUsersAndDefaultOwner(t *testing.T) {
	e := newEnv(t)
	p := newPayload()
	p.user("u-root", "root", "system")
	p.user("u-nogroup", "ghost") // no groups: also local
	p.Users["u-nogroup"].(map[string]any)["groups"] = []string{}
	p.user("u-alice", "alice", "example")
	p.category("cat", "Cat", "", "READ_ROLES", roles("rc", "root", "project owner"))
	p.project("proj", "Proj", "cat", "READ_ROLES", roles("r1", "ghost", "project owner", "r2", "root", "project contributor",
		"r3", "alice", "project guest"))
	e.src.SetJSON(p)
	run := e.sync(t)
	for _, n := range []string{"root", "ghost"} {
		if _, err := e.st.GetUserByUsername(context.Background(), n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("local SODAR user %s created: %v", n, err)
		}
	}
	equal(t, "category", e.roleMap(t, "cat"), []string{"admin=owner"})
	equal(t, "project", e.roleMap(t, "proj"), []string{"admin=owner", "alice=guest"})
	if !hasMessage(run, "error", `"root" is a SODAR-local account`) || !hasMessage(run, "info", `the owner role goes to "admin"`) {
		t.Fatalf("messages %+v", run.Messages)
	}

	// Without the default owner account the owner role is skipped, the rest still syncs.
	e.svc.DefaultOwner = "nobody"
	p.project("proj2", "Proj2", "cat", "READ_ROLES", roles("r4", "ghost", "project owner", "r5", "alice", "project contributor"))
	e.src.SetJSON(p)
	run = e.sync(t)
	equal(t, "proj2", e.roleMap(t, "proj2"), []string{"alice=contributor"})
	if !hasMessage(run, "error", `default owner "nobody"`) {
		t.Fatalf("messages %+v", run.Messages)
	}
}

func TestUserUpdatesAndIsActive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A local kiosc account with the same username as a SODAR user, and a superuser.
	localU := &store.User{Username: "lena", Name: "Old", Email: "old@x", IsActive: true, Source: store.SourceLocal, PasswordHash: "hash"}
	boss := &store.User{Username: "boss", IsActive: true, IsSuperuser: true, Source: store.SourceOIDC}
	for _, u := range []*store.User{localU, boss} {
		if err := e.st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	p := newPayload()
	for _, n := range []string{"lena", "boss", "sam"} {
		p.user("uuid-"+n, n)["is_active"] = false
	}
	p.category("cat", "Cat", "", "READ_ROLES", roles("rc", "sam", "project owner", "rl", "lena", "project guest", "rb", "boss", "project guest"))
	p.project("proj", "Proj", "cat", "REVOKED", roles("r1", "sam", "project owner"))
	e.src.SetJSON(p)
	e.sync(t)
	lena := e.user(t, "lena")
	if lena.Source != store.SourceLocal || lena.PasswordHash != "hash" || lena.Name != "Lena Person" || lena.Email != "lena@example.org" ||
		lena.IsActive || lena.SodarUUID != "uuid-lena" {
		t.Fatalf("lena: %+v", lena)
	}
	if b := e.user(t, "boss"); !b.IsActive || !b.IsSuperuser {
		t.Fatalf("superuser deactivated: %+v", b)
	}
	if s := e.user(t, "sam"); s.IsActive || s.Source != store.SourceSodar {
		t.Fatalf("sam: %+v", s)
	}
	// Reactivated with the next 2.1 payload; without is_active (2.0) the flag is left alone.
	p.Users["uuid-sam"].(map[string]any)["is_active"] = true
	delete(p.Users["uuid-lena"].(map[string]any), "is_active")
	p.Users["uuid-lena"].(map[string]any)["name"] = "Lena New"
	e.src.SetJSON(p)
	run := e.sync(t)
	if s := e.user(t, "sam"); !s.IsActive {
		t.Fatal("sam not reactivated")
	}
	if l := e.user(t, "lena"); l.IsActive || l.Name != "Lena New" {
		t.Fatalf("lena: %+v", l)
	}
	if run.Counts["user"].Updated != 2 {
		t.Fatalf("user counts %+v", run.Counts["user"])
	}
}

func TestNothingSharedAndAbsentProjects(t *testing.T) {
	e := newEnv(t)
	p := newPayload()
	p.user("u1", "alice")
	p.category("cat", "Cat", "", "READ_INFO", nil)
	p.project("proj", "Proj", "cat", "READ_INFO", nil)
	p.project("vis", "Vis", "cat", "VIEW_AVAIL", nil)
	e.src.SetJSON(p)
	run := e.sync(t)
	if run.Status != store.SodarRunOK || run.Totals.Created != 0 {
		t.Fatalf("%+v", run)
	}
	if _, err := e.st.GetUserByUsername(context.Background(), "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("user created although nothing is shared")
	}
	e.noProject(t, "cat")

	// Shared, then no longer in the payload: left unchanged, and reported.
	p.project("proj", "Proj", "cat", "READ_ROLES", roles("r1", "alice", "project owner"))
	e.src.SetJSON(p)
	e.sync(t)
	p2 := newPayload()
	p2.user("u1", "alice")
	p2.category("cat2", "Cat2", "", "READ_INFO", nil)
	p2.project("proj2", "Proj2", "cat2", "READ_ROLES", roles("r2", "alice", "project owner"))
	e.src.SetJSON(p2)
	run = e.sync(t)
	equal(t, "absent project roles", e.roleMap(t, "proj"), []string{"alice=owner"})
	if !hasMessage(run, "warning", "no longer shared by SODAR") {
		t.Fatalf("messages %+v", run.Messages)
	}
}

func TestPartialPayloads(t *testing.T) {
	e := newEnv(t)
	// No "users" at all: roles refer to users kiosc already has, or are skipped.
	if err := e.st.CreateUser(context.Background(), &store.User{Username: "known", IsActive: true, Source: store.SourceOIDC}); err != nil {
		t.Fatal(err)
	}
	e.src.SetRaw([]byte(`{"projects": {"c": {"title": "C", "type": "CATEGORY", "level": "READ_INFO"},
		"p": {"title": "P", "type": "PROJECT", "level": "READ_ROLES", "parent_uuid": "c",
		      "roles": {"r1": {"user": "known", "role": "project owner"}, "r2": {"user": "stranger", "role": "project guest"}}}}}`))
	run := e.sync(t)
	if run.Status != store.SodarRunPartial || !hasMessage(run, "warning", `no "users"`) {
		t.Fatalf("%s %+v", run.Status, run.Messages)
	}
	equal(t, "roles", e.roleMap(t, "p"), []string{"known=owner"})
	if e.project(t, "c").ParentUUID != "" {
		t.Fatal("category without parent_uuid must be top level")
	}

	// "projects" of the wrong shape fails the run without touching anything.
	e.src.SetRaw([]byte(`{"users": {}, "projects": []}`))
	run = e.sync(t)
	if run.Status != store.SodarRunFailed || run.Error == "" {
		t.Fatalf("%+v", run)
	}
}

// A user entry that cannot be read in a later run does not cost the user their roles.
func TestMalformedUserEntryKeepsRoles(t *testing.T) {
	e := newEnv(t)
	p := newPayload()
	p.user("u1", "alice")
	p.user("u2", "bob")
	p.category("cat", "Cat", "", "READ_INFO", nil)
	p.project("proj", "Proj", "cat", "READ_ROLES", roles("r1", "alice", "project owner", "r2", "bob", "project contributor"))
	e.src.SetJSON(p)
	e.sync(t)
	p.Users["u2"] = map[string]any{"username": "bob", "groups": "oidc"} // groups must be a list
	p.Projects["proj"].(map[string]any)["roles"] = roles("r1", "alice", "project owner", "r2", "bob", "project guest")
	e.src.SetJSON(p)
	run := e.sync(t)
	if !hasMessage(run, "error", "malformed user entry") {
		t.Fatalf("messages %+v", run.Messages)
	}
	equal(t, "roles", e.roleMap(t, "proj"), []string{"alice=owner", "bob=guest"})
}
