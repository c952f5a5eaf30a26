package proxy_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/store"
)

// newAppOriginEnv is the proxy env in app-origin mode (the default): apps on a second listener, strip and keep
// run the test app, movable is stopped.
func newAppOriginEnv(t *testing.T) *env {
	t.Helper()
	dockertest.Client(t)
	strip, _ := dockertest.RunTestApp(t, dockertest.RunOptions{})
	keep, _ := dockertest.RunTestApp(t, dockertest.RunOptions{Env: []string{"BASE_PATH=" + proxy.PathPrefix + keepUUID + "/"}})
	e := newBase(t)
	e.appOrigin = true
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	e.fake, e.appAddr, e.strip, e.keep = fake, strip, stripUUID, keepUUID
	fake.set(proxy.Target{ContainerUUID: stripUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: strip, StripPrefix: true})
	fake.set(proxy.Target{ContainerUUID: keepUUID, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: keep})
	fake.set(proxy.Target{ContainerUUID: movableUUID, ProjectUUID: e.project.UUID, State: "stopped"})
	e.serve(fake)
	return e
}

// appPath is a container path on the app listener.
func (e *env) appPath(uuid, rest string) string { return e.appBase + proxy.PathPrefix + uuid + rest }

// jarBrowser follows redirects like a browser, keeping cookies per host; since cookies do not tell ports apart, the
// jar sends kiosc's session cookie to the app listener too, as a browser would.
type jarBrowser struct {
	*http.Client
	jar  *cookiejar.Jar
	hops []string
}

func (e *env) browser(t *testing.T, session string) *jarBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	if session != "" {
		base, _ := url.Parse(e.base)
		jar.SetCookies(base, []*http.Cookie{{Name: "kiosc_session", Value: session, Path: "/"}})
	}
	b := &jarBrowser{Client: &http.Client{Jar: jar, Transport: &http.Transport{DisableCompression: true}}, jar: jar}
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		b.hops = append(b.hops, req.URL.String())
		if req.URL.Path == "/login" || strings.HasPrefix(req.URL.Path, "/lobby/") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return b
}

func TestAppOrigin(t *testing.T) {
	e := newAppOriginEnv(t)
	gina, _ := e.session(e.member("gina", "guest"))
	sam, _ := e.session(e.member("sam", ""))
	vera, _ := e.session(e.member("vera", "viewer"))
	tok := e.token(e.member("script", "guest"))

	t.Run("opening an app from kiosc signs the browser in on the app origin and lands there", func(t *testing.T) {
		b := e.browser(t, gina)
		got := decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo?x=1"), navHeaders...))
		if got.RequestURI != "/echo?x=1" || got.header("X-Forwarded-Prefix") != proxy.PathPrefix+e.strip {
			t.Fatalf("the app saw %q prefix %q", got.RequestURI, got.header("X-Forwarded-Prefix"))
		}
		if len(b.hops) != 5 || b.hops[0] != e.appPath(e.strip, "/echo?x=1") || !strings.HasPrefix(b.hops[1], e.appBase+proxy.StartPath) ||
			!strings.HasPrefix(b.hops[2], e.base+"/apps/"+e.strip+"/sign-in") || !strings.HasPrefix(b.hops[3], e.appBase+proxy.AuthPath) {
			t.Fatalf("hops %v", b.hops)
		}
		if c := got.header("Cookie"); strings.Contains(c, "kiosc") {
			t.Fatalf("a kiosc cookie reached the app: %q", c)
		}
		if got.header("X-Kiosc-User") != "gina" {
			t.Fatalf("X-Kiosc-User %q", got.header("X-Kiosc-User"))
		}
		// The app cookie is scoped to the app's prefix, and a second visit needs no sign-in.
		app, _ := url.Parse(e.appPath(e.strip, "/"))
		other, _ := url.Parse(e.appPath(e.keep, "/"))
		if !hasCookie(b.jar.Cookies(app), proxy.AppCookie) || hasCookie(b.jar.Cookies(other), proxy.AppCookie) {
			t.Fatalf("app cookies: %v, other app: %v", b.jar.Cookies(app), b.jar.Cookies(other))
		}
		b.hops = nil
		got = decodeEcho(t, send(t, b.Client, "GET", e.appPath(e.strip, "/echo"), navHeaders...))
		if got.RequestURI != "/echo" || len(b.hops) != 0 {
			t.Fatalf("second visit: %q after %v", got.RequestURI, b.hops)
		}
	})

	t.Run("a kept prefix reaches the app", func(t *testing.T) {
		b := e.browser(t, gina)
		got := decodeEcho(t, send(t, b.Client, "GET", e.url(e.keep, "/echo"), navHeaders...))
		if got.RequestURI != proxy.PathPrefix+e.keep+"/echo" {
			t.Fatalf("the app saw %q", got.RequestURI)
		}
	})

	t.Run("kiosc's session cookie is no credential on the app listener", func(t *testing.T) {
		r := do(t, "GET", e.appPath(e.strip, "/echo"), gina, nil, scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
		r = do(t, "GET", e.appPath(e.strip, "/echo"), gina, nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), e.appBase+proxy.StartPath+"?app="+e.strip) {
			t.Fatalf("navigation: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("the app cookie of one app does not open another", func(t *testing.T) {
		b := e.browser(t, gina)
		decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...))
		var value string
		for _, c := range b.jar.Cookies(mustURL(e.appPath(e.strip, "/"))) {
			if c.Name == proxy.AppCookie {
				value = c.Value
			}
		}
		r := do(t, "GET", e.appPath(e.keep, "/echo"), "", nil, append(scriptHeaders, "Cookie: "+proxy.AppCookie+"="+value)...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
	})

	t.Run("a planted second app cookie is refused", func(t *testing.T) {
		b := e.browser(t, gina)
		decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...))
		var value string
		for _, c := range b.jar.Cookies(mustURL(e.appPath(e.strip, "/"))) {
			if c.Name == proxy.AppCookie {
				value = c.Value
			}
		}
		r := do(t, "GET", e.appPath(e.strip, "/echo"), "", nil,
			append(scriptHeaders, "Cookie: "+proxy.AppCookie+"=planted; "+proxy.AppCookie+"="+value)...)
		if body := readAll(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "duplicate_cookie") {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
	})

	t.Run("nothing of kiosc is served on the app listener", func(t *testing.T) {
		for _, p := range []string{"/api/v1/me", "/api/v1/config", "/login", "/lobby/" + e.strip, "/metrics", "/apps/" + e.strip + "/sign-in?state=x"} {
			r := do(t, "GET", e.appBase+p, gina, nil, scriptHeaders...)
			if body := readAll(t, r); r.StatusCode != http.StatusNotFound {
				t.Errorf("%s: status %d: %s", p, r.StatusCode, body)
			}
		}
		r := do(t, "GET", e.appBase+"/", "", nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != e.base+"/" {
			t.Fatalf("root: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("non-members get 404 and viewers 403 at the sign-in", func(t *testing.T) {
		for session, want := range map[string]int{sam: http.StatusNotFound, vera: http.StatusForbidden} {
			b := e.browser(t, session)
			r := send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...)
			if body := readAll(t, r); r.StatusCode != want {
				t.Errorf("status %d, want %d: %s (hops %v)", r.StatusCode, want, body, b.hops)
			}
		}
	})

	t.Run("an app that is not running sends the browser to kiosc's lobby", func(t *testing.T) {
		b := e.browser(t, gina)
		r := send(t, b.Client, "GET", e.url(movableUUID, "/lab?x=1"), navHeaders...)
		readAll(t, r)
		loc := r.Header.Get("Location")
		if r.StatusCode != http.StatusFound || loc != proxy.LobbyURL(movableUUID, proxy.PathPrefix+movableUUID+"/lab?x=1") {
			t.Fatalf("%d %q after %v", r.StatusCode, loc, b.hops)
		}
	})

	t.Run("scripts with an API token use the app listener directly", func(t *testing.T) {
		got := decodeEcho(t, do(t, "GET", e.appPath(e.strip, "/echo"), "", nil, "Authorization: Token "+tok))
		if got.RequestURI != "/echo" || got.header("Authorization") != "" {
			t.Fatalf("%q, Authorization %q", got.RequestURI, got.header("Authorization"))
		}
	})

	t.Run("the sign-in keeps next within the app", func(t *testing.T) {
		state, signInURL := startAppOriginSignIn(t, e, e.strip, "//evil.example/x")
		if !strings.Contains(signInURL, "next="+url.QueryEscape(proxy.PathPrefix+e.strip+"/")) {
			t.Fatalf("sign-in URL %s", signInURL)
		}
		_ = state
	})

	t.Run("websockets open from the app origin only", func(t *testing.T) {
		b := e.browser(t, gina)
		decodeEcho(t, send(t, b.Client, "GET", e.url(e.strip, "/echo"), navHeaders...))
		cookies := b.jar.Cookies(mustURL(e.appPath(e.strip, "/")))
		header := func(origin string) http.Header {
			h := http.Header{"Origin": {origin}}
			for _, c := range cookies {
				h.Add("Cookie", c.Name+"="+c.Value)
			}
			return h
		}
		d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		wsURL := strings.Replace(e.appPath(e.strip, "/ws"), "http://", "ws://", 1)
		ws, resp, err := d.Dial(wsURL, header(e.appBase))
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "hi" {
			t.Fatalf("echo %q %v", msg, err)
		}
		_ = ws.Close()
		for _, origin := range []string{e.base, "http://evil.example"} {
			ws, resp, err := d.Dial(wsURL, header(origin))
			if err == nil {
				ws.Close()
				t.Fatalf("tunnel opened from %s", origin)
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: %v (%v)", origin, err, resp)
			}
		}
	})

	t.Run("a session request that is not a navigation never reaches an app on kiosc's origin", func(t *testing.T) {
		r := do(t, "GET", e.url(e.strip, "/echo"), gina, nil, scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "use_app_origin") {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
	})
}

func TestAppResponseHygiene(t *testing.T) {
	e := newAppOriginEnv(t)
	tok := e.token(e.member("script", "guest"))
	q := url.Values{"header": {"Set-Cookie:sid=1; Path=/; Domain=127.0.0.1", "Set-Cookie:__Host-x=1; Path=/; Secure",
		"Set-Cookie:kiosc_session=forged; Path=/", "Service-Worker-Allowed:/", "Clear-Site-Data:\"cookies\""}}
	r := do(t, "GET", e.appPath(e.strip, "/respond?"+q.Encode()), "", nil, "Authorization: Token "+tok)
	readAll(t, r)
	if r.Header.Get("Service-Worker-Allowed") != "" || r.Header.Get("Clear-Site-Data") != "" {
		t.Fatalf("headers %v", r.Header)
	}
	var sid *http.Cookie
	for _, c := range r.Cookies() {
		switch c.Name {
		case "sid":
			sid = c
		default:
			t.Errorf("cookie %s=%s reached the browser", c.Name, c.Value)
		}
	}
	if sid == nil || sid.Path != proxy.PathPrefix+e.strip+"/" || sid.Domain != "" {
		t.Fatalf("sid cookie %+v", sid)
	}
}

// startAppOriginSignIn starts a sign-in on the app listener and returns the state cookie and the URL on kiosc's
// origin it goes to.
func startAppOriginSignIn(t *testing.T, e *env, uuid, next string) (*http.Cookie, string) {
	t.Helper()
	r := do(t, "GET", e.appBase+proxy.StartPath+"?app="+uuid+"&next="+url.QueryEscape(next), "", nil, navHeaders...)
	readAll(t, r)
	state := cookieNamed(r, proxy.StateCookie+"_"+uuid)
	if r.StatusCode != http.StatusFound || state == nil || state.Path != "/.kiosc/" || !state.HttpOnly {
		t.Fatalf("start: %d %v", r.StatusCode, r.Cookies())
	}
	return state, r.Header.Get("Location")
}

func hasCookie(cs []*http.Cookie, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
