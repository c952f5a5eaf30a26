package proxy_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/store"
)

// testDomain is the proxy domain of the subdomain tests; every name under it reaches the test server.
const testDomain = "apps.test"

// movableUUID is a container whose state the tests change.
const movableUUID = "7f1c2e0a-0000-4000-8000-0000000000aa"

// newSubEnv is the proxy env in subdomain mode: strip and keep run the test app, movable too (until a test stops it).
func newSubEnv(t *testing.T) *env {
	t.Helper()
	dockertest.Client(t)
	app, _ := dockertest.RunTestApp(t, dockertest.RunOptions{})
	e := newBase(t)
	e.domain = testDomain
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	e.fake, e.appAddr, e.strip, e.keep = fake, app, stripUUID, keepUUID
	fake.set(proxy.Target{ContainerUUID: stripUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: app, StripPrefix: true})
	fake.set(proxy.Target{ContainerUUID: keepUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: app})
	fake.set(proxy.Target{ContainerUUID: movableUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: app, StripPrefix: true})
	e.serve(fake)
	return e
}

// appURL is a URL on a container's own origin.
func appURL(uuid, path string) string { return "http://" + uuid + "." + testDomain + path }

// dialServer connects to the test server whatever host was asked for (the names under testDomain do not resolve).
func (e *env) dialServer(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", strings.TrimPrefix(e.base, "http://"))
}

// appClient reaches app origins without following redirects; with a jar it keeps cookies per host like a browser.
func (e *env) appClient(jar http.CookieJar, follow bool) *http.Client {
	c := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: e.dialServer, DisableCompression: true}}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// send sends a request with extra headers ("Name: value").
func send(t *testing.T, c *http.Client, method, u string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

var (
	navHeaders    = []string{"Sec-Fetch-Mode: navigate", "Accept: text/html"}
	scriptHeaders = []string{"Sec-Fetch-Mode: cors", "Accept: application/json"}
)

// hopLocation opens a container path on kiosc's origin as a logged-in browser and returns where it is sent.
func hopLocation(t *testing.T, e *env, uuid, rest, cookie string) string {
	t.Helper()
	r := do(t, "GET", e.url(uuid, rest), cookie, nil, navHeaders...)
	body := readAll(t, r)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("status %d: %s", r.StatusCode, body)
	}
	return r.Header.Get("Location")
}

// cookieNamed returns the cookie a response sets, or nil.
func cookieNamed(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// startSignIn starts a sign-in to path on a container's origin as a browser would and returns the state cookie
// and the sign-in URL on kiosc's origin it is sent to.
func startSignIn(t *testing.T, e *env, uuid, path string) (state *http.Cookie, signInURL string) {
	t.Helper()
	r := send(t, e.appClient(nil, false), "GET", appURL(uuid, proxy.StartPath+"?next="+url.QueryEscape(path)), navHeaders...)
	body := readAll(t, r)
	state = cookieNamed(r, proxy.StateCookie)
	if r.StatusCode != http.StatusFound || state == nil {
		t.Fatalf("start: status %d, cookies %v: %s", r.StatusCode, r.Cookies(), body)
	}
	return state, r.Header.Get("Location")
}

// signIn runs a logged-in browser's sign-in to path on a container's origin up to the token: it returns the state
// cookie and the AuthPath URL with the one-time token.
func signIn(t *testing.T, e *env, uuid, path, cookie string) (state *http.Cookie, authURL string) {
	t.Helper()
	state, loc := startSignIn(t, e, uuid, path)
	r := do(t, "GET", loc, cookie, nil, navHeaders...)
	body := readAll(t, r)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("sign-in: status %d: %s", r.StatusCode, body)
	}
	return state, r.Header.Get("Location")
}

// withState is the Cookie header carrying a state cookie.
func withState(c *http.Cookie) string { return "Cookie: " + proxy.StateCookie + "=" + c.Value }

// appCookie runs the sign-in for a container and returns the app cookie.
func appCookie(t *testing.T, e *env, uuid, cookie string) *http.Cookie {
	t.Helper()
	state, loc := signIn(t, e, uuid, "/", cookie)
	r := send(t, e.appClient(nil, false), "GET", loc, append(navHeaders, withState(state))...)
	readAll(t, r)
	if c := cookieNamed(r, proxy.AppCookie); c != nil {
		return c
	}
	t.Fatalf("no app cookie (status %d)", r.StatusCode)
	return nil
}

func TestSubdomainExchange(t *testing.T) {
	e := newSubEnv(t)
	gina := e.member("gina", "guest")
	cookie, csrf := e.session(gina)
	plain := e.appClient(nil, false)

	t.Run("navigation on kiosc's origin hops to the same path on the app's origin", func(t *testing.T) {
		loc, err := url.Parse(hopLocation(t, e, e.strip, "/echo?x=1", cookie))
		if err != nil {
			t.Fatal(err)
		}
		if loc.Scheme != "http" || loc.Host != e.strip+"."+testDomain || loc.Path != "/echo" || loc.RawQuery != "x=1" {
			t.Fatalf("Location %s", loc)
		}
	})

	t.Run("the start sets a host-only state cookie and asks kiosc's origin for a token", func(t *testing.T) {
		r := send(t, plain, "GET", appURL(e.strip, proxy.StartPath+"?next="+url.QueryEscape("/echo?x=1")), navHeaders...)
		readAll(t, r)
		state := cookieNamed(r, proxy.StateCookie)
		if r.StatusCode != http.StatusFound || state == nil || len(state.Value) != 43 {
			t.Fatalf("status %d, cookies %v", r.StatusCode, r.Cookies())
		}
		sc := strings.ToLower(r.Header.Get("Set-Cookie"))
		for _, want := range []string{proxy.StateCookie + "=", "path=/", "httponly", "samesite=lax", "max-age=120"} {
			if !strings.Contains(sc, want) {
				t.Errorf("Set-Cookie %q lacks %q", sc, want)
			}
		}
		for _, never := range []string{"domain=", "secure"} {
			if strings.Contains(sc, never) {
				t.Errorf("Set-Cookie %q has %q", sc, never)
			}
		}
		want := e.base + "/apps/" + e.strip + "/sign-in?state=" + state.Value + "&next=" + url.QueryEscape("/echo?x=1")
		if loc := r.Header.Get("Location"); loc != want {
			t.Fatalf("Location %q, want %q", loc, want)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		// A fresh state every time.
		if again, _ := startSignIn(t, e, e.strip, "/"); again.Value == state.Value {
			t.Fatal("state reused")
		}
	})

	t.Run("kiosc's origin answers with a one-time token for the app's origin", func(t *testing.T) {
		_, authURL := signIn(t, e, e.strip, "/echo?x=1", cookie)
		loc, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		if loc.Scheme != "http" || loc.Host != e.strip+"."+testDomain || loc.Path != proxy.AuthPath {
			t.Fatalf("Location %s", loc)
		}
		if loc.Query().Get("next") != "/echo?x=1" || len(loc.Query().Get("token")) < 40 {
			t.Fatalf("query %v", loc.Query())
		}
	})

	t.Run("the exchange sets a host-only app cookie, deletes the state cookie and goes to next", func(t *testing.T) {
		state, authURL := signIn(t, e, e.strip, "/echo?x=1", cookie)
		r := send(t, plain, "GET", authURL, append(navHeaders, withState(state))...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/echo?x=1" {
			t.Fatalf("status %d, Location %q", r.StatusCode, r.Header.Get("Location"))
		}
		if gone := cookieNamed(r, proxy.StateCookie); gone == nil || gone.Value != "" || !gone.Expires.Before(time.Now()) {
			t.Errorf("state cookie not deleted: %v", r.Header.Values("Set-Cookie"))
		}
		var sc string
		for _, v := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(v, proxy.AppCookie+"=") {
				sc = v
			}
		}
		for _, want := range []string{proxy.AppCookie + "=", "path=/", "HttpOnly", "SameSite=Lax", "expires="} {
			if !strings.Contains(strings.ToLower(sc), strings.ToLower(want)) {
				t.Errorf("Set-Cookie %q lacks %q", sc, want)
			}
		}
		for _, never := range []string{"domain=", "secure", cookie} {
			if strings.Contains(strings.ToLower(sc), strings.ToLower(never)) {
				t.Errorf("Set-Cookie %q has %q", sc, never)
			}
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
	})

	t.Run("a token is single use", func(t *testing.T) {
		state, loc := signIn(t, e, e.strip, "/", cookie)
		if r := send(t, plain, "GET", loc, append(navHeaders, withState(state))...); r.StatusCode != http.StatusFound {
			t.Fatalf("first use: %d %s", r.StatusCode, readAll(t, r))
		}
		r := send(t, plain, "GET", loc, append(navHeaders, withState(state))...)
		body := readAll(t, r)
		again := "http://" + e.strip + "." + testDomain + proxy.StartPath + "?next=%2F"
		if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "already been used") ||
			!strings.Contains(body, `href="`+again+`"`) || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("second use: %d %s", r.StatusCode, body)
		}
		r = send(t, plain, "GET", loc, append(scriptHeaders, withState(state))...)
		body = readAll(t, r)
		if r.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"invalid_app_token"`) {
			t.Fatalf("script: %d %s", r.StatusCode, body)
		}
	})

	t.Run("a token issued to another browser is refused and used up", func(t *testing.T) {
		// The attacker starts a sign-in in their own browser and sends the link with their token to the victim, whose
		// browser has no state cookie or a state of its own.
		_, loc := signIn(t, e, e.strip, "/", cookie)
		victim, _ := startSignIn(t, e, e.strip, "/")
		for _, tc := range []struct {
			name    string
			headers []string
		}{
			{"no state cookie", navHeaders},
			{"another state cookie", append(navHeaders, withState(victim))},
			{"the state cookie under the https name", append(navHeaders, "Cookie: "+proxy.SecureStateCookie+"="+victim.Value)},
		} {
			r := send(t, plain, "GET", loc, tc.headers...)
			body := readAll(t, r)
			if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "This sign-in link was not started in this browser") ||
				cookieNamed(r, proxy.AppCookie) != nil {
				t.Fatalf("%s: %d %v %s", tc.name, r.StatusCode, r.Cookies(), body)
			}
			_, loc = signIn(t, e, e.strip, "/", cookie)
		}
		r := send(t, plain, "GET", loc, append(scriptHeaders, withState(victim))...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"invalid_app_token"`) ||
			!strings.Contains(body, "not started in this browser") {
			t.Fatalf("script: %d %s", r.StatusCode, body)
		}
		r = send(t, plain, "GET", loc, navHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "already been used") {
			t.Fatalf("after a refused use: %d %s", r.StatusCode, body)
		}
	})

	t.Run("a token of another container is refused and used up", func(t *testing.T) {
		state, loc := signIn(t, e, e.strip, "/", cookie)
		other := strings.Replace(loc, e.strip, e.keep, 1)
		r := send(t, plain, "GET", other, append(navHeaders, withState(state))...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "another app") {
			t.Fatalf("foreign: %d %s", r.StatusCode, body)
		}
		r = send(t, plain, "GET", loc, append(navHeaders, withState(state))...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden {
			t.Fatalf("after a foreign use: %d %s", r.StatusCode, body)
		}
	})

	t.Run("unknown and missing tokens", func(t *testing.T) {
		for _, q := range []string{"?token=nope&next=/", "?next=/"} {
			r := send(t, plain, "GET", appURL(e.strip, proxy.AuthPath+q), scriptHeaders...)
			if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "invalid_app_token") {
				t.Fatalf("%s: %d %s", q, r.StatusCode, body)
			}
		}
	})

	t.Run("next must be a path on the app's origin", func(t *testing.T) {
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
			state, loc := signIn(t, e, e.strip, "/", cookie)
			loc = strings.Replace(loc, "next=%2F", "next="+url.QueryEscape(next), 1)
			r := send(t, plain, "GET", loc, append(navHeaders, withState(state))...)
			readAll(t, r)
			if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/" {
				t.Fatalf("%s: %d -> %q", next, r.StatusCode, r.Header.Get("Location"))
			}
		}
	})

	ac := appCookie(t, e, e.strip, cookie)

	t.Run("the app sees root paths and none of kiosc's credentials", func(t *testing.T) {
		for _, uuid := range []string{e.strip, e.keep} {
			c := appCookie(t, e, uuid, cookie)
			got := decodeEcho(t, send(t, plain, "GET", appURL(uuid, "/echo?x=1&y=%2F"), append(scriptHeaders,
				"Cookie: other=1; "+proxy.AppCookie+"="+c.Value+"; kiosc_session="+cookie+"; "+proxy.StateCookie+"=s; "+
					proxy.SecureStateCookie+"=s", "X-CSRF-Token: "+csrf,
				"X-Kiosc-User: mallory", "X-Forwarded-Prefix: /evil")...))
			if got.RequestURI != "/echo?x=1&y=%2F" || got.Host != uuid+"."+testDomain {
				t.Fatalf("%s: request %q host %q", uuid, got.RequestURI, got.Host)
			}
			h := http.Header(got.Headers)
			if h.Get("Cookie") != "other=1" || h.Get("X-Kiosc-User") != "gina" || h.Get("X-Forwarded-Prefix") != "" ||
				h.Get("X-Forwarded-Host") != uuid+"."+testDomain || h.Get("X-Forwarded-Proto") != "http" || h.Get("X-Csrf-Token") != "" {
				t.Fatalf("%s: headers %v", uuid, h)
			}
			raw, _ := json.Marshal(got.Headers)
			for _, secret := range []string{c.Value, cookie, csrf, proxy.AppCookie, "kiosc_session"} {
				if strings.Contains(string(raw), secret) {
					t.Fatalf("%s: %q reached the app: %s", uuid, secret, raw)
				}
			}
		}
	})

	t.Run("an app cookie only opens its own app", func(t *testing.T) {
		r := send(t, plain, "GET", appURL(e.keep, "/echo"), append(scriptHeaders, "Cookie: "+proxy.AppCookie+"="+ac.Value)...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
	})

	t.Run("a tampered app cookie is no cookie", func(t *testing.T) {
		bad := strings.Replace(ac.Value, ".", ".9", 1)
		r := send(t, plain, "GET", appURL(e.strip, "/echo"), append(scriptHeaders, "Cookie: "+proxy.AppCookie+"="+bad)...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
	})

	t.Run("the role is checked on every request", func(t *testing.T) {
		ctx := context.Background()
		if err := e.st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: e.project.ID, UserID: gina.ID, Role: "viewer", Source: "local"}); err != nil {
			t.Fatal(err)
		}
		r := send(t, plain, "GET", appURL(e.strip, "/echo"), append(scriptHeaders, "Cookie: "+proxy.AppCookie+"="+ac.Value)...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
		if err := e.st.UpdateRole(ctx, &store.RoleAssignment{ProjectID: e.project.ID, UserID: gina.ID, Role: "guest", Source: "local"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("logging out of kiosc ends app access", func(t *testing.T) {
		ctx := context.Background()
		cookie2, _ := e.session(gina)
		c := appCookie(t, e, e.strip, cookie2)
		get := func() int {
			r := send(t, plain, "GET", appURL(e.strip, "/echo"), append(scriptHeaders, "Cookie: "+proxy.AppCookie+"="+c.Value)...)
			readAll(t, r)
			return r.StatusCode
		}
		if st := get(); st != http.StatusOK {
			t.Fatalf("before logout: %d", st)
		}
		id, err := e.auth.SessionIdentity(ctx, cookie2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.auth.Logout(ctx, id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the app cookie to stop working", func() bool { return get() == http.StatusUnauthorized })
	})
}

func TestSubdomainNavigation(t *testing.T) {
	e := newSubEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))
	viewer, _ := e.session(e.member("vera", "viewer"))
	stranger, _ := e.session(e.member("sam", ""))
	plain := e.appClient(nil, false)

	t.Run("anonymous navigation starts a sign-in on its own origin, which goes to kiosc's login", func(t *testing.T) {
		r := send(t, plain, "GET", appURL(e.strip, "/echo?x=1"), navHeaders...)
		readAll(t, r)
		want := appURL(e.strip, proxy.StartPath+"?next="+url.QueryEscape("/echo?x=1"))
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != want {
			t.Fatalf("status %d, Location %q, want %q", r.StatusCode, r.Header.Get("Location"), want)
		}
		_, signInURL := startSignIn(t, e, e.strip, "/echo?x=1")
		r = do(t, "GET", signInURL, "", nil, navHeaders...)
		readAll(t, r)
		if r.Header.Get("Location") != "/login?next="+url.QueryEscape(strings.TrimPrefix(signInURL, e.base)) {
			t.Fatalf("kiosc's origin: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r = send(t, plain, "GET", appURL(e.strip, "/echo"), scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("script: %d %s", r.StatusCode, body)
		}
	})

	t.Run("a logged-in browser goes round and lands on the app", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		base, _ := url.Parse(e.base)
		jar.SetCookies(base, []*http.Cookie{{Name: "kiosc_session", Value: cookie}})
		b := e.appClient(jar, true)
		var hops []string
		b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			hops = append(hops, req.URL.String())
			return nil
		}
		got := decodeEcho(t, send(t, b, "GET", appURL(e.strip, "/echo?x=1"), navHeaders...))
		if got.RequestURI != "/echo?x=1" || len(hops) != 4 || !strings.HasPrefix(hops[0], appURL(e.strip, proxy.StartPath)) ||
			!strings.HasPrefix(hops[1], e.base+"/apps/"+e.strip+"/sign-in?") || !strings.HasPrefix(hops[2], appURL(e.strip, proxy.AuthPath)) {
			t.Fatalf("%q after %v", got.RequestURI, hops)
		}
		if names := headerValues(jar, appURL(e.strip, "/")); len(names) != 1 || names[0] != proxy.AppCookie {
			t.Fatalf("cookies for the app's origin: %v", names)
		}
		// With the cookie in the jar, the app answers at once.
		hops = nil
		decodeEcho(t, send(t, b, "GET", appURL(e.strip, "/echo"), navHeaders...))
		if len(hops) != 0 {
			t.Fatalf("hops %v", hops)
		}
		if strings.Contains(strings.Join(headerValues(jar, appURL(e.strip, "/")), ";"), "kiosc_session") {
			t.Fatal("kiosc's session cookie would be sent to the app's origin")
		}
	})

	t.Run("viewers get 403 and non-members 404 on kiosc's origin", func(t *testing.T) {
		_, signInURL := startSignIn(t, e, e.strip, "/")
		for _, tc := range []struct {
			cookie string
			status int
		}{{viewer, 403}, {stranger, 404}} {
			for _, u := range []string{e.url(e.strip, "/"), signInURL} {
				r := do(t, "GET", u, tc.cookie, nil, navHeaders...)
				if body := readAll(t, r); r.StatusCode != tc.status || r.Header.Get("Location") != "" {
					t.Fatalf("%s: status %d, want %d: %s", u, r.StatusCode, tc.status, body)
				}
			}
		}
	})

	t.Run("scripts with API tokens work on both origins", func(t *testing.T) {
		tok := e.token(e.member("script", "guest"))
		got := decodeEcho(t, send(t, plain, "GET", appURL(e.strip, "/echo"), "Authorization: Token "+tok))
		if got.Headers["Authorization"] != nil || got.RequestURI != "/echo" {
			t.Fatalf("app origin: %+v", got)
		}
		got = decodeEcho(t, do(t, "GET", e.url(e.strip, "/echo"), "", nil, append(navHeaders, "Authorization: Bearer "+tok)...))
		if got.Headers["Authorization"] != nil || got.RequestURI != "/echo" {
			t.Fatalf("kiosc's origin: %+v", got)
		}
		r := send(t, plain, "GET", appURL(e.strip, "/echo"), "Authorization: Token kiosc_wrong")
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token: %d %s", r.StatusCode, body)
		}
	})

	t.Run("on kiosc's origin, requests carrying only the session never reach an app", func(t *testing.T) {
		// Another app's script on the same site, or an <object> load, would send kiosc's session along.
		for _, h := range [][]string{scriptHeaders, {"Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: object"}} {
			r := do(t, "GET", e.url(e.strip, "/echo"), cookie, nil, h...)
			if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "use_app_origin") {
				t.Fatalf("%v: %d %s", h, r.StatusCode, body)
			}
		}
		if _, resp, err := dialWS(t, e, e.strip, cookie, e.base); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("websocket with the session on kiosc's origin: %v %v", resp, err)
		}
	})

	t.Run("hosts under the domain that are not an app get 404", func(t *testing.T) {
		for _, host := range []string{"nope." + testDomain, "a.b." + testDomain, e.strip + ".x." + testDomain,
			e.strip[:35] + "." + testDomain} {
			for _, path := range []string{"/", "/healthz", "/api/v1/session"} {
				req, _ := http.NewRequest("GET", e.base+path, nil)
				req.Host = host
				r, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				if body := readAll(t, r); r.StatusCode != http.StatusNotFound || !strings.Contains(body, "not_found") {
					t.Fatalf("%s%s: %d %s", host, path, r.StatusCode, body)
				}
			}
		}
	})

	t.Run("host matching ignores case and the port; kiosc's own host is kiosc", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.base+"/echo", nil)
		req.Host = strings.ToUpper(e.strip+"."+testDomain) + ":8443"
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("app host: %d %s", r.StatusCode, body)
		}
		r = do(t, "GET", e.base+"/healthz", "", nil)
		if body := readAll(t, r); r.StatusCode != http.StatusOK {
			t.Fatalf("kiosc: %d %s", r.StatusCode, body)
		}
	})

	t.Run("an app that is not running: lobby on kiosc's origin, 503 for scripts", func(t *testing.T) {
		c := appCookie(t, e, movableUUID, cookie)
		e.fake.set(proxy.Target{ContainerUUID: movableUUID, ProjectUUID: e.project.UUID, State: "stopped", StripPrefix: true})
		e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: movableUUID, ProjectUUID: e.project.UUID,
			Data: map[string]any{"state": "stopped"}})
		withCookie := "Cookie: " + proxy.AppCookie + "=" + c.Value
		want := e.base + proxy.LobbyURL(movableUUID, proxy.PathPrefix+movableUUID+"/echo?x=1")
		waitFor(t, "the lobby redirect", func() bool {
			r := send(t, plain, "GET", appURL(movableUUID, "/echo?x=1"), append(navHeaders, withCookie)...)
			readAll(t, r)
			return r.StatusCode == http.StatusFound && r.Header.Get("Location") == want
		})
		r := send(t, plain, "GET", appURL(movableUUID, "/echo"), append(scriptHeaders, withCookie)...)
		body := readAll(t, r)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" ||
			!strings.Contains(body, "container_not_running") {
			t.Fatalf("script: %d %s", r.StatusCode, body)
		}
		// The lobby's next, opened on kiosc's origin, also goes to the lobby while the app is not running, and so
		// does a sign-in.
		r = do(t, "GET", e.url(movableUUID, "/echo?x=1"), cookie, nil, navHeaders...)
		readAll(t, r)
		if r.Header.Get("Location") != proxy.LobbyURL(movableUUID, proxy.PathPrefix+movableUUID+"/echo?x=1") {
			t.Fatalf("kiosc's origin: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		_, signInURL := startSignIn(t, e, movableUUID, "/echo?x=1")
		r = do(t, "GET", signInURL, cookie, nil, navHeaders...)
		readAll(t, r)
		if r.Header.Get("Location") != proxy.LobbyURL(movableUUID, proxy.PathPrefix+movableUUID+"/echo?x=1") {
			t.Fatalf("sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}

func TestSubdomainSignIn(t *testing.T) {
	e := newSubEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))
	state, signInURL := startSignIn(t, e, e.strip, "/echo")
	path := strings.TrimPrefix(signInURL, e.base)

	t.Run("the route is kiosc's, not the SPA's", func(t *testing.T) {
		if !strings.HasPrefix(signInURL, e.base+"/apps/"+e.strip+"/sign-in?state="+state.Value) {
			t.Fatalf("sign-in URL %q", signInURL)
		}
		r := do(t, "GET", signInURL, cookie, nil, navHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusFound || strings.Contains(body, "<title>kiosc") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})

	t.Run("anonymous browsers log in first and come back; scripts get 401", func(t *testing.T) {
		r := do(t, "GET", signInURL, "", nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r = do(t, "GET", signInURL, "", nil, scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("script: %d %s", r.StatusCode, body)
		}
	})

	t.Run("an API token is no kiosc session", func(t *testing.T) {
		tok := e.token(e.member("script", "guest"))
		r := do(t, "GET", signInURL, "", nil, append(navHeaders, "Authorization: Token "+tok)...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "/login?") {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("only browser navigations receive a token", func(t *testing.T) {
		r := do(t, "GET", signInURL, cookie, nil, scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden || r.Header.Get("Location") != "" {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})

	t.Run("a missing or malformed state is a validation error", func(t *testing.T) {
		for _, q := range []string{"?next=/", "?state=short&next=/", "?state=" + strings.Repeat("%21", 43)} {
			r := do(t, "GET", e.base+"/apps/"+e.strip+"/sign-in"+q, cookie, nil, navHeaders...)
			body := readAll(t, r)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"validation_failed"`) || !strings.Contains(body, `"state"`) {
				t.Fatalf("%s: %d %s", q, r.StatusCode, body)
			}
		}
	})

	t.Run("unknown containers and names that are not a UUID get 404", func(t *testing.T) {
		for _, uuid := range []string{strings.Replace(e.strip, "cafe", "0000", 1), "nope"} {
			r := do(t, "GET", e.base+"/apps/"+uuid+"/sign-in?state="+state.Value, cookie, nil, navHeaders...)
			if body := readAll(t, r); r.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d %s", uuid, r.StatusCode, body)
			}
		}
	})

	t.Run("next must be a path", func(t *testing.T) {
		u := strings.Replace(signInURL, "next=%2Fecho", "next="+url.QueryEscape("//evil.example/"), 1)
		r := do(t, "GET", u, cookie, nil, navHeaders...)
		readAll(t, r)
		loc, _ := url.Parse(r.Header.Get("Location"))
		if r.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("next") != "/" {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}

func TestSubdomainSignInRoundTrip(t *testing.T) {
	e := newSubEnv(t)
	gina, _ := e.session(e.member("gina", "guest"))
	mallory, _ := e.session(e.member("mallory", "guest"))
	base, _ := url.Parse(e.base)
	// browser follows redirects and records them, keeping cookies per host like a browser; it stops at login and,
	// with stopAt, before a URL that starts with it.
	type browser struct {
		*http.Client
		jar  *cookiejar.Jar
		hops []string
	}
	newBrowser := func(session, stopAt string) *browser {
		jar, _ := cookiejar.New(nil)
		if session != "" {
			jar.SetCookies(base, []*http.Cookie{{Name: "kiosc_session", Value: session}})
		}
		b := &browser{Client: e.appClient(jar, true), jar: jar}
		b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			b.hops = append(b.hops, req.URL.String())
			if req.URL.Path == "/login" || stopAt != "" && strings.HasPrefix(req.URL.String(), stopAt) {
				return http.ErrUseLastResponse
			}
			return nil
		}
		return b
	}

	t.Run("an anonymous browser logs in on the way and lands on the app", func(t *testing.T) {
		b := newBrowser("", "")
		r := send(t, b.Client, "GET", appURL(e.strip, "/echo?x=1"), navHeaders...)
		readAll(t, r)
		login, err := url.Parse(r.Header.Get("Location"))
		if err != nil || r.StatusCode != http.StatusFound || login.Path != "/login" {
			t.Fatalf("%d %q after %v", r.StatusCode, r.Header.Get("Location"), b.hops)
		}
		// The login page would set the session and go on to next, a path on kiosc's origin.
		b.jar.SetCookies(base, []*http.Cookie{{Name: "kiosc_session", Value: gina}})
		next := login.Query().Get("next")
		if !strings.HasPrefix(next, "/apps/"+e.strip+"/sign-in?") {
			t.Fatalf("next %q", next)
		}
		b.hops = nil
		got := decodeEcho(t, send(t, b.Client, "GET", e.base+next, navHeaders...))
		if got.RequestURI != "/echo?x=1" || len(b.hops) != 2 || !strings.HasPrefix(b.hops[0], appURL(e.strip, proxy.AuthPath)) {
			t.Fatalf("%q after %v", got.RequestURI, b.hops)
		}
		if names := headerValues(b.jar, appURL(e.strip, "/")); len(names) != 1 || names[0] != proxy.AppCookie {
			t.Fatalf("cookies for the app's origin: %v", names)
		}
	})

	t.Run("opening the app from kiosc goes round through the app's origin", func(t *testing.T) {
		b := newBrowser(gina, "")
		got := decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...))
		if got.RequestURI != "/echo" || len(b.hops) != 5 || b.hops[0] != appURL(e.strip, "/echo") ||
			!strings.HasPrefix(b.hops[1], appURL(e.strip, proxy.StartPath)) {
			t.Fatalf("%q after %v", got.RequestURI, b.hops)
		}
		// Once signed in, opening it again goes straight to the app's origin, which serves it at once.
		b.hops = nil
		got = decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...))
		if got.RequestURI != "/echo" || len(b.hops) != 1 {
			t.Fatalf("%q after %v", got.RequestURI, b.hops)
		}
	})

	t.Run("a sign-in link from another browser signs nobody in", func(t *testing.T) {
		attacker := newBrowser(mallory, appURL(e.strip, proxy.AuthPath))
		r := send(t, attacker.Client, "GET", appURL(e.strip, "/echo"), navHeaders...)
		readAll(t, r)
		link := r.Header.Get("Location")
		if !strings.HasPrefix(link, appURL(e.strip, proxy.AuthPath+"?token=")) {
			t.Fatalf("attacker's link %q after %v", link, attacker.hops)
		}
		for name, session := range map[string]string{"anonymous": "", "logged in to kiosc": gina} {
			victim := newBrowser(session, appURL(e.strip, proxy.AuthPath))
			if session != "" {
				// A sign-in of the victim's own in progress leaves a state cookie of its own.
				readAll(t, send(t, victim.Client, "GET", appURL(e.strip, "/"), navHeaders...))
				if names := headerValues(victim.jar, appURL(e.strip, "/")); len(names) != 1 || names[0] != proxy.StateCookie {
					t.Fatalf("%s: cookies %v", name, names)
				}
			}
			r := send(t, victim.Client, "GET", link, navHeaders...)
			body := readAll(t, r)
			if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "not started in this browser") {
				t.Fatalf("%s: %d %s", name, r.StatusCode, body)
			}
			for _, n := range headerValues(victim.jar, appURL(e.strip, "/")) {
				if n == proxy.AppCookie {
					t.Fatalf("%s: the victim got an app cookie", name)
				}
			}
			// The link is used up; the next victim gets a fresh one.
			r = send(t, attacker.Client, "GET", appURL(e.strip, "/echo"), navHeaders...)
			readAll(t, r)
			link = r.Header.Get("Location")
		}
	})
}

// headerValues lists the cookies a jar would send to u.
func headerValues(jar http.CookieJar, u string) []string {
	parsed, _ := url.Parse(u)
	var out []string
	for _, c := range jar.Cookies(parsed) {
		out = append(out, c.Name)
	}
	return out
}

func TestSubdomainWebsocket(t *testing.T) {
	e := newSubEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))
	c := appCookie(t, e, e.strip, cookie)
	tok := e.token(e.member("script", "guest"))
	dial := func(headers http.Header) (*websocket.Conn, *http.Response, error) {
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, NetDialContext: e.dialServer}
		return d.Dial("ws://"+e.strip+"."+testDomain+"/ws", headers)
	}
	own := "http://" + e.strip + "." + testDomain

	t.Run("the app's own origin with the app cookie", func(t *testing.T) {
		ws, resp, err := dial(http.Header{"Cookie": {proxy.AppCookie + "=" + c.Value}, "Origin": {own}})
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		defer ws.Close()
		if err := ws.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hello" {
			t.Fatalf("echo %q %v", msg, err)
		}
	})

	for _, tc := range []struct{ name, origin string }{
		{"kiosc's origin", e.base},
		{"another app's origin", "http://" + e.keep + "." + testDomain},
		{"a foreign origin", "https://evil.example"},
		{"the right host with another scheme", "https://" + e.strip + "." + testDomain},
		{"no origin", ""},
	} {
		t.Run("refused from "+tc.name, func(t *testing.T) {
			h := http.Header{"Cookie": {proxy.AppCookie + "=" + c.Value}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := dial(h)
			if err == nil {
				ws.Close()
				t.Fatal("tunnel opened")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%v (%v)", err, resp)
			}
		})
	}

	t.Run("an API token without origin", func(t *testing.T) {
		ws, resp, err := dial(http.Header{"Authorization": {"Token " + tok}})
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		_ = ws.Close()
	})

	t.Run("anonymous", func(t *testing.T) {
		_, resp, err := dial(http.Header{"Origin": {own}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%v (%v)", err, resp)
		}
	})
}
