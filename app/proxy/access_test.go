package proxy_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/store"
)

func TestAccess(t *testing.T) {
	e := newEnv(t)
	nav := []string{"Sec-Fetch-Mode: navigate", "Accept: text/html"}
	oldNav := []string{"Accept: text/html,application/xhtml+xml"} // browsers without Sec-Fetch-*
	script := []string{"Sec-Fetch-Mode: cors", "Accept: application/json"}

	cookies := map[string]string{}
	for _, role := range []string{"owner", "delegate", "contributor", "guest", "viewer", "", "superuser"} {
		name := "u-" + role
		if role == "" {
			name = "stranger"
		}
		c, _ := e.session(e.member(name, role))
		cookies[role] = c
	}
	path := "/echo?x=1"
	unknown := "00000000-0000-4000-8000-000000000000"

	for _, tc := range []struct {
		name     string
		role     string // key into cookies; "anon" for none
		uuid     string
		headers  []string
		status   int
		location string
		code     string
	}{
		{"anonymous navigation goes to login and comes back", "anon", e.strip, nav, 302,
			"/login?next=" + url.QueryEscape(proxy.PathPrefix+e.strip+path), ""},
		{"anonymous navigation without fetch metadata", "anon", e.strip, oldNav, 302,
			"/login?next=" + url.QueryEscape(proxy.PathPrefix+e.strip+path), ""},
		{"anonymous script", "anon", e.strip, script, 401, "", "unauthorized"},
		{"anonymous, unknown container: same answer", "anon", unknown, script, 401, "", "unauthorized"},
		{"non-member", "", e.strip, script, 404, "", "not_found"},
		{"non-member navigation", "", e.strip, nav, 404, "", "not_found"},
		{"unknown container", "guest", unknown, script, 404, "", "not_found"},
		{"viewer", "viewer", e.strip, script, 403, "", "forbidden"},
		{"guest", "guest", e.strip, script, 200, "", ""},
		{"contributor", "contributor", e.strip, nav, 200, "", ""},
		{"delegate", "delegate", e.strip, script, 200, "", ""},
		{"owner", "owner", e.strip, script, 200, "", ""},
		{"superuser without role", "superuser", e.strip, script, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "GET", e.url(tc.uuid, path), cookies[tc.role], nil, tc.headers...)
			body := readAll(t, r)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.status, body)
			}
			if tc.location != "" && r.Header.Get("Location") != tc.location {
				t.Fatalf("Location %q, want %q", r.Header.Get("Location"), tc.location)
			}
			if tc.code != "" && !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("body %s, want code %s", body, tc.code)
			}
		})
	}

	t.Run("non-member and unknown container look the same", func(t *testing.T) {
		a := readAll(t, do(t, "GET", e.url(e.strip, path), cookies[""], nil, script...))
		b := readAll(t, do(t, "GET", e.url(unknown, path), cookies[""], nil, script...))
		if a != b {
			t.Fatalf("%s != %s", a, b)
		}
	})

	t.Run("API tokens work for scripts", func(t *testing.T) {
		tok := e.token(e.member("script", "guest"))
		for _, scheme := range []string{"Token", "Bearer"} {
			r := do(t, "GET", e.url(e.strip, "/health"), "", nil, "Authorization: "+scheme+" "+tok)
			if body := readAll(t, r); r.StatusCode != 200 {
				t.Fatalf("%s: %d %s", scheme, r.StatusCode, body)
			}
		}
		r := do(t, "GET", e.url(e.strip, "/health"), "", nil, "Authorization: Token kiosc_wrong")
		if body := readAll(t, r); r.StatusCode != 401 || !strings.Contains(body, "invalid_token") {
			t.Fatalf("wrong token: %d %s", r.StatusCode, body)
		}
		// A viewer's token is refused like the viewer.
		vtok := e.token(e.member("viewer-script", "viewer"))
		r = do(t, "GET", e.url(e.strip, "/health"), "", nil, "Authorization: Token "+vtok)
		if readAll(t, r); r.StatusCode != 403 {
			t.Fatalf("viewer token: %d", r.StatusCode)
		}
	})

	t.Run("a logged-out session is anonymous", func(t *testing.T) {
		u := e.member("leaver", "guest")
		c, _ := e.session(u)
		id, err := e.auth.SessionIdentity(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Logout(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		r := do(t, "GET", e.url(e.strip, path), c, nil, script...)
		if readAll(t, r); r.StatusCode != 401 {
			t.Fatalf("status %d", r.StatusCode)
		}
	})

	t.Run("a session used before logout stops working shortly after", func(t *testing.T) {
		c, _ := e.session(e.member("quick", "guest"))
		if r := do(t, "GET", e.url(e.strip, path), c, nil, script...); readAll(t, r) == "" || r.StatusCode != 200 {
			t.Fatalf("status %d", r.StatusCode)
		}
		id, err := e.auth.SessionIdentity(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Logout(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the logged-out session to be refused", func() bool {
			r := do(t, "GET", e.url(e.strip, path), c, nil, script...)
			readAll(t, r)
			return r.StatusCode == 401
		})
	})
}

func TestNotRunning(t *testing.T) {
	e := newEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))
	stopped := "11111111-0000-4000-8000-000000000001"
	e.fake.set(proxy.Target{ContainerUUID: stopped, ProjectUUID: e.project.UUID, State: "stopped", StripPrefix: true})

	t.Run("navigation goes to the lobby", func(t *testing.T) {
		r := do(t, "GET", e.url(stopped, "/some/page?a=1&b=2"), cookie, nil, "Sec-Fetch-Mode: navigate")
		readAll(t, r)
		want := "/lobby/" + stopped + "?next=" + url.QueryEscape(proxy.PathPrefix+stopped+"/some/page?a=1&b=2")
		if r.StatusCode != 302 || r.Header.Get("Location") != want {
			t.Fatalf("%d %q, want %q", r.StatusCode, r.Header.Get("Location"), want)
		}
	})
	t.Run("other requests get 503 with Retry-After", func(t *testing.T) {
		r := do(t, "POST", e.url(stopped, "/api/x"), cookie, strings.NewReader("{}"), "Accept: application/json")
		body := readAll(t, r)
		var got struct {
			Error struct{ Code, Message, State string }
		}
		_ = json.Unmarshal([]byte(body), &got)
		if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" || got.Error.Code != "container_not_running" || got.Error.State != "stopped" {
			t.Fatalf("%d %q %s", r.StatusCode, r.Header.Get("Retry-After"), body)
		}
	})
	t.Run("a running app that does not answer: 502, or the lobby for navigations", func(t *testing.T) {
		gone := "11111111-0000-4000-8000-000000000002"
		e.fake.set(proxy.Target{ContainerUUID: gone, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: closedAddr(t), StripPrefix: true})
		r := do(t, "GET", e.url(gone, "/x"), cookie, nil, "Accept: application/json")
		if body := readAll(t, r); r.StatusCode != 502 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		r = do(t, "GET", e.url(gone, "/x"), cookie, nil, "Sec-Fetch-Mode: navigate")
		if readAll(t, r); r.StatusCode != 302 || !strings.HasPrefix(r.Header.Get("Location"), "/lobby/"+gone) {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}
