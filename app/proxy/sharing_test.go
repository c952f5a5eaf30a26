package proxy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/docker/dockertest"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/proxy"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/sharing"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/timeline"
)

// Containers of the sharing tests, one per access level, all served by one test app; stoppedUUID is a public app
// that is stopped until a visitor starts it.
const (
	projectUUID = "5a1e0000-0000-4000-8000-000000000001"
	siteUUID    = "5a1e0000-0000-4000-8000-000000000002"
	linkUUID    = "5a1e0000-0000-4000-8000-000000000003"
	publicUUID  = "5a1e0000-0000-4000-8000-000000000004"
	stoppedUUID = "5a1e0000-0000-4000-8000-000000000005"
	stopped2    = "5a1e0000-0000-4000-8000-000000000006"
)

// sharingEnv is the app-origin env with the sharing service of the store and a container of every access level.
type sharingEnv struct {
	*env
	share  *sharing.Service
	admin  *store.User
	starts *startRecorder
}

// startRecorder stands in for the lifecycle's Open: it records who started what and makes the app run.
type startRecorder struct {
	mu    sync.Mutex
	by    map[string][]string
	start func(uuid string)
	// refuse, when set, is the lifecycle's answer instead of a start.
	refuse error
}

func (s *startRecorder) open(_ context.Context, u *store.User, uuid string) error {
	s.mu.Lock()
	if err := s.refuse; err != nil {
		s.mu.Unlock()
		return err
	}
	s.by[uuid] = append(s.by[uuid], u.Username)
	s.mu.Unlock()
	s.start(uuid)
	return nil
}

// siteFull is the lifecycle's refusal of a start by the site's reservation cap, with figures visitors may not see.
type siteFull struct{}

func (siteFull) Error() string { return "running apps reserve 3.90 of the site's 4.00 CPUs" }
func (siteFull) SiteFull() string {
	return "The apps running now reserve all the capacity this site allows."
}

func (s *startRecorder) who(uuid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.by[uuid]...)
}

func newSharingEnv(t *testing.T, mode string) *sharingEnv {
	t.Helper()
	dockertest.Client(t)
	app, _ := dockertest.RunTestApp(t, dockertest.RunOptions{})
	e := newBase(t)
	switch mode {
	case "app-origin":
		e.appOrigin = true
	case "subdomain":
		e.domain = "apps.localhost"
	}
	share, err := sharing.New(context.Background(), e.st, &timeline.Recorder{Store: e.st, Bus: e.bus, Log: e.log}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	se := &sharingEnv{env: e, share: share, starts: &startRecorder{by: map[string][]string{}}}
	se.admin = e.member("root", "superuser")
	if _, _, err := share.UpdateSite(context.Background(), se.admin, sharing.SiteChange{AllowLinkAccess: ptr(true), AllowPublicAccess: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	fake := &fakeContainers{targets: map[string]proxy.Target{}, touches: map[string]int{}}
	e.fake, e.appAddr = fake, app
	for uuid, level := range map[string]string{projectUUID: settings.AccessProject, siteUUID: settings.AccessSite,
		linkUUID: settings.AccessLink, publicUUID: settings.AccessPublic} {
		fake.set(proxy.Target{ContainerUUID: uuid, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: app, StripPrefix: true, Access: level})
	}
	for _, uuid := range []string{stoppedUUID, stopped2} {
		fake.set(proxy.Target{ContainerUUID: uuid, ProjectUUID: e.project.UUID, State: store.StateStopped, StripPrefix: true,
			Access: settings.AccessPublic})
	}
	se.starts.start = func(uuid string) {
		t := proxy.Target{ContainerUUID: uuid, ProjectUUID: e.project.UUID, State: store.StateRunning, Addr: app, StripPrefix: true,
			Access: settings.AccessPublic}
		fake.set(t)
		e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: uuid, ProjectUUID: e.project.UUID, Data: map[string]any{"state": "running"}})
	}
	e.sharing, e.open, e.startLimit = share, se.starts.open, 2
	e.serve(fake)
	return se
}

func ptr[T any](v T) *T { return &v }

// setAccess changes a container's access level as the lifecycle would (the target and a container.state event).
func (e *sharingEnv) setAccess(uuid, level string) {
	tg, _ := e.fake.Upstream(context.Background(), uuid)
	tg.Access = level
	e.fake.set(tg)
	e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: uuid, ProjectUUID: e.project.UUID, Data: map[string]any{"state": string(tg.State)}})
}

// link creates a link to uuid and returns its secret.
func (e *sharingEnv) link(t *testing.T, uuid, name string, expiresIn time.Duration) (*store.ContainerLink, string) {
	t.Helper()
	l, secret, err := e.share.CreateLink(context.Background(), e.admin, &store.Container{UUID: uuid, ProjectUUID: e.project.UUID,
		Container: settings.Container{Title: "linked", Access: settings.AccessLink}}, sharing.LinkInput{Name: name, ExpiresIn: expiresIn})
	if err != nil {
		t.Fatal(err)
	}
	return l, secret
}

// linkURL is a link's URL on the app listener.
func (e *sharingEnv) linkURL(uuid, secret string) string {
	return e.appBase + proxy.LinkPath + "?app=" + uuid + "&key=" + url.QueryEscape(secret)
}

// anonymousBrowser follows redirects and keeps cookies, without a kiosc session.
func (e *sharingEnv) anonymousBrowser(t *testing.T) *jarBrowser { return e.browser(t, "") }

// kioscHeaders returns the identity headers an app received (any X-Kiosc-* header, also with underscores).
func kioscHeaders(got echo) map[string]string {
	out := map[string]string{}
	for k, v := range got.Headers {
		n := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
		if strings.HasPrefix(n, "x-kiosc-") {
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

func TestAccessLevels(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	ctx := context.Background()
	gina := e.member("gina", "guest")
	gina.Name, gina.Email = "Gina Guest", "gina@example.org"
	if err := e.st.UpdateUser(ctx, gina); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetUserGroups(ctx, gina.ID, []string{"lab-a", "staff"}); err != nil {
		t.Fatal(err)
	}
	ginaSession, _ := e.session(gina)
	samSession, _ := e.session(e.member("sam", ""))
	rootSession, _ := e.session(e.admin)
	_, secret := e.link(t, linkUUID, "reviewers", 0)
	revoked, revokedSecret := e.link(t, linkUUID, "", 0)

	// A browser holding the revoked link's cookie: it opened the link before it was revoked.
	revokedHolder := e.anonymousBrowser(t)
	openLink(t, revokedHolder.Client, e.linkURL(linkUUID, revokedSecret))
	if err := e.share.RevokeLink(ctx, e.admin, &store.Container{UUID: linkUUID, ProjectUUID: e.project.UUID}, revoked.ID); err != nil {
		t.Fatal(err)
	}

	type want struct {
		status int
		user   string // X-Kiosc-User the app saw ("": none)
		role   string
		link   string
	}
	levels := []struct {
		uuid, level string
		anonymous   want
		other       want // a logged-in user without a role
		guest       want
		holder      want // holds a valid link to the link app
	}{
		{projectUUID, "project", want{status: 401}, want{status: 404}, want{200, "gina", "guest", ""}, want{status: 401}},
		{siteUUID, "site", want{status: 401}, want{200, "sam", "", ""}, want{200, "gina", "guest", ""}, want{status: 401}},
		{linkUUID, "link", want{status: 401}, want{status: 404}, want{200, "gina", "guest", ""}, want{200, "", "", "reviewers"}},
		{publicUUID, "public", want{status: 200}, want{200, "sam", "", ""}, want{200, "gina", "guest", ""}, want{status: 200}},
	}
	holder := e.anonymousBrowser(t)
	openLink(t, holder.Client, e.linkURL(linkUUID, secret))

	check := func(t *testing.T, what string, r *http.Response, w want) {
		t.Helper()
		if w.status != 200 {
			body := readAll(t, r)
			if r.StatusCode != w.status {
				t.Fatalf("%s: status %d, want %d: %s", what, r.StatusCode, w.status, body)
			}
			return
		}
		got := decodeEcho(t, r)
		h := kioscHeaders(got)
		if got.header("X-Kiosc-User") != w.user || got.header("X-Kiosc-Link") != w.link {
			t.Fatalf("%s: the app saw %v", what, h)
		}
		if w.user != "" && (got.Headers["X-Kiosc-Role"] == nil || got.header("X-Kiosc-Role") != w.role) {
			t.Fatalf("%s: role %q, want %q (%v)", what, got.header("X-Kiosc-Role"), w.role, h)
		}
		if w.user == "" && w.link == "" && len(h) > 0 {
			t.Fatalf("%s: an anonymous visitor's request carried %v", what, h)
		}
		if c := got.header("Cookie"); strings.Contains(c, "kiosc") {
			t.Fatalf("%s: the app received kiosc's cookies: %q", what, c)
		}
	}
	for _, lv := range levels {
		t.Run(lv.level, func(t *testing.T) {
			path := e.appPath(lv.uuid, "/echo")
			check(t, "anonymous script", send(t, http.DefaultClient, "GET", path, scriptHeaders...), lv.anonymous)
			check(t, "user without a role", signedIn(t, e.env, samSession, lv.uuid), lv.other)
			check(t, "guest", signedIn(t, e.env, ginaSession, lv.uuid), lv.guest)
			check(t, "link holder", send(t, holder.Client, "GET", path, scriptHeaders...), lv.holder)
			// The holder of a revoked link is anonymous.
			check(t, "revoked link", send(t, revokedHolder.Client, "GET", path, scriptHeaders...), lv.anonymous)
		})
	}

	t.Run("an anonymous navigation to an app that is not public starts the sign-in, never a kiosc page", func(t *testing.T) {
		for _, uuid := range []string{projectUUID, siteUUID, linkUUID} {
			r := do(t, "GET", e.appPath(uuid, "/echo"), "", nil, navHeaders...)
			readAll(t, r)
			if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), e.appBase+proxy.StartPath+"?app="+uuid) {
				t.Fatalf("%s: %d %q", uuid, r.StatusCode, r.Header.Get("Location"))
			}
		}
	})

	t.Run("an anonymous browser opens a public app through the optional sign-in and stays anonymous", func(t *testing.T) {
		b := e.anonymousBrowser(t)
		got := decodeEcho(t, send(t, b.Client, "GET", e.appPath(publicUUID, "/echo?x=1"), navHeaders...))
		if got.RequestURI != "/echo?x=1" || len(kioscHeaders(got)) != 0 {
			t.Fatalf("the app saw %q with %v", got.RequestURI, kioscHeaders(got))
		}
		for _, hop := range b.hops {
			if strings.HasPrefix(hop, e.base+"/login") || strings.Contains(hop, "/api/") {
				t.Fatalf("an anonymous visitor was sent to %s (hops %v)", hop, b.hops)
			}
		}
		// Marked as a guest, the next navigation is served at once.
		b.hops = nil
		decodeEcho(t, send(t, b.Client, "GET", e.appPath(publicUUID, "/echo"), navHeaders...))
		if len(b.hops) != 0 {
			t.Fatalf("hops %v", b.hops)
		}
	})

	t.Run("a logged-in user opening a public app is known to it", func(t *testing.T) {
		b := e.browser(t, ginaSession)
		got := decodeEcho(t, send(t, b.Client, "GET", e.appPath(publicUUID, "/echo"), navHeaders...))
		if got.header("X-Kiosc-User") != "gina" || got.header("X-Kiosc-User-Name") != "Gina Guest" ||
			got.header("X-Kiosc-User-Email") != "gina@example.org" || got.header("X-Kiosc-Role") != "guest" ||
			got.header("X-Kiosc-Groups") != "lab-a,staff" {
			t.Fatalf("identity headers %v", kioscHeaders(got))
		}
	})

	t.Run("a superuser without a role is superuser to the app", func(t *testing.T) {
		got := decodeEcho(t, signedIn(t, e.env, rootSession, projectUUID))
		if got.header("X-Kiosc-User") != "root" || got.header("X-Kiosc-Role") != "superuser" {
			t.Fatalf("identity headers %v", kioscHeaders(got))
		}
	})

	t.Run("identity headers cannot be spoofed", func(t *testing.T) {
		spoof := []string{"X-Kiosc-User: admin", "X-Kiosc-Role: owner", "X_Kiosc_User: admin", "x-kiosc-groups: admins", "X-Kiosc-Link: x"}
		got := decodeEcho(t, send(t, http.DefaultClient, "GET", e.appPath(publicUUID, "/echo"), append(scriptHeaders, spoof...)...))
		if h := kioscHeaders(got); len(h) != 0 {
			t.Fatalf("an anonymous request reached the app with %v", h)
		}
		b := e.browser(t, ginaSession)
		decodeEcho(t, send(t, b.Client, "GET", e.appPath(projectUUID, "/echo"), navHeaders...))
		got = decodeEcho(t, send(t, b.Client, "GET", e.appPath(projectUUID, "/echo"), append(scriptHeaders, spoof...)...))
		h := kioscHeaders(got)
		if got.header("X-Kiosc-User") != "gina" || got.header("X-Kiosc-Role") != "guest" || got.header("X-Kiosc-Groups") != "lab-a,staff" ||
			len(h) != 5 || got.header("X-Kiosc-Link") != "" {
			t.Fatalf("the app saw %v", h)
		}
		got = decodeEcho(t, send(t, holder.Client, "GET", e.appPath(linkUUID, "/echo"), append(scriptHeaders, spoof...)...))
		if h := kioscHeaders(got); len(h) != 1 || got.header("X-Kiosc-Link") != "reviewers" {
			t.Fatalf("a link holder's request reached the app with %v", h)
		}
	})

	t.Run("links: a wrong secret, another app's link, and the secret kept from the app", func(t *testing.T) {
		r := do(t, "GET", e.linkURL(linkUUID, "kl_notalink"), "", nil, navHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusNotFound || !strings.Contains(body, "Link not valid") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		r = do(t, "GET", e.linkURL(publicUUID, secret), "", nil, navHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusNotFound {
			t.Fatalf("another app: %d %s", r.StatusCode, body)
		}
		r = do(t, "GET", e.linkURL(linkUUID, secret), "", nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != proxy.PathPrefix+linkUUID+"/" ||
			r.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("%d %q %q", r.StatusCode, r.Header.Get("Location"), r.Header.Get("Referrer-Policy"))
		}
		var ck *http.Cookie
		for _, c := range r.Cookies() {
			if c.Name == proxy.LinkCookie {
				ck = c
			}
		}
		if ck == nil || ck.Path != proxy.PathPrefix+linkUUID+"/" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode ||
			strings.Contains(ck.Value, secret) {
			t.Fatalf("link cookie %+v", ck)
		}
		// The link cookie of one app opens no other.
		r = do(t, "GET", e.appPath(siteUUID, "/echo"), "", nil, append(scriptHeaders, "Cookie: "+proxy.LinkCookie+"="+ck.Value)...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("another app with the link cookie: %d %s", r.StatusCode, body)
		}
		// A forged cookie opens nothing.
		r = do(t, "GET", e.appPath(linkUUID, "/echo"), "", nil, append(scriptHeaders, "Cookie: "+proxy.LinkCookie+"="+ck.Value+"x")...)
		if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged link cookie: %d %s", r.StatusCode, body)
		}
	})

	t.Run("a site setting turned off makes link and public apps project apps until it is on again", func(t *testing.T) {
		if _, _, err := e.share.UpdateSite(ctx, e.admin, sharing.SiteChange{AllowLinkAccess: ptr(false), AllowPublicAccess: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			uuid   string
			client *http.Client
		}{{publicUUID, http.DefaultClient}, {linkUUID, holder.Client}} {
			r := send(t, c.client, "GET", e.appPath(c.uuid, "/echo"), scriptHeaders...)
			if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s while off: %d %s", c.uuid, r.StatusCode, body)
			}
		}
		check(t, "a user without a role in a public app while off", signedIn(t, e.env, samSession, publicUUID), want{status: 404})
		if _, _, err := e.share.UpdateSite(ctx, e.admin, sharing.SiteChange{AllowLinkAccess: ptr(true), AllowPublicAccess: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		check(t, "public again", send(t, http.DefaultClient, "GET", e.appPath(publicUUID, "/echo"), scriptHeaders...), want{status: 200})
		check(t, "link again", send(t, holder.Client, "GET", e.appPath(linkUUID, "/echo"), scriptHeaders...), want{200, "", "", "reviewers"})
	})

	t.Run("kiosc's origin sends anonymous browsers of public and link apps to the app's origin, never to kiosc's login", func(t *testing.T) {
		r := do(t, "GET", e.url(publicUUID, "/echo"), "", nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != e.appPath(publicUUID, "/echo") {
			t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r = do(t, "GET", e.url(projectUUID, "/echo"), "", nil, navHeaders...)
		readAll(t, r)
		if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
			t.Fatalf("a project app: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}

// openLink opens a link's URL in a browser, which lands on the app's page.
func openLink(t *testing.T, b *http.Client, u string) {
	t.Helper()
	r := send(t, b, "GET", u, navHeaders...)
	if body := readAll(t, r); r.StatusCode != 200 || !strings.Contains(body, "kiosc test app") {
		t.Fatalf("opening %s: %d %s", u, r.StatusCode, body)
	}
}

// signedIn opens uuid's /echo on the app listener as a browser with the kiosc session, following the sign-in.
func signedIn(t *testing.T, e *env, session, uuid string) *http.Response {
	t.Helper()
	b := e.browser(t, session)
	return send(t, b.Client, "GET", e.url(uuid, "/echo"), navHeaders...)
}

func TestLinkRevocationEndsAccess(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	ctx := context.Background()
	l, secret := e.link(t, linkUUID, "workshop", 0)
	b := e.anonymousBrowser(t)
	openLink(t, b.Client, e.linkURL(linkUUID, secret))
	var cookie string
	for _, c := range b.jar.Cookies(mustURL(e.appPath(linkUUID, "/"))) {
		if c.Name == proxy.LinkCookie {
			cookie = c.Value
		}
	}
	h := http.Header{"Cookie": {proxy.LinkCookie + "=" + cookie}, "Origin": {e.appBase}}
	conn, resp, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws"+strings.TrimPrefix(e.appPath(linkUUID, "/ws"), "http"), h)
	if err != nil {
		t.Fatalf("websocket of a link holder: %v (%v)", err, resp)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != "hi" {
		t.Fatalf("echo %q %v", msg, err)
	}
	start := time.Now()
	if err := e.share.RevokeLink(ctx, e.admin, &store.Container{UUID: linkUUID, ProjectUUID: e.project.UUID}, l.ID); err != nil {
		t.Fatal(err)
	}
	_ = expectClosed(t, conn)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the tunnel closed %v after the revocation", d)
	}
	r := send(t, b.Client, "GET", e.appPath(linkUUID, "/echo"), scriptHeaders...)
	if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the revocation: %d %s", r.StatusCode, body)
	}
	r = do(t, "GET", e.linkURL(linkUUID, secret), "", nil, navHeaders...)
	if body := readAll(t, r); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the revoked link: %d %s", r.StatusCode, body)
	}
	// The timeline has the link's creation and revocation.
	evs, _, err := e.st.ListTimelineEvents(ctx, store.TimelineFilter{ProjectUUIDs: []string{e.project.UUID}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, ev := range evs {
		names[ev.EventName] = true
	}
	if !names[sharing.EventLinkCreate] || !names[sharing.EventLinkRevoke] {
		t.Fatalf("timeline %v", names)
	}
}

func TestLinkExpiryEndsAccess(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	_, secret := e.link(t, linkUUID, "", 2*time.Second)
	b := e.anonymousBrowser(t)
	openLink(t, b.Client, e.linkURL(linkUUID, secret))
	got := decodeEcho(t, send(t, b.Client, "GET", e.appPath(linkUUID, "/echo"), scriptHeaders...))
	if !strings.HasPrefix(got.header("X-Kiosc-Link"), "#") {
		t.Fatalf("X-Kiosc-Link of a link without a name: %q", got.header("X-Kiosc-Link"))
	}
	var cookie string
	for _, c := range b.jar.Cookies(mustURL(e.appPath(linkUUID, "/"))) {
		if c.Name == proxy.LinkCookie {
			cookie = c.Value
		}
	}
	h := http.Header{"Cookie": {proxy.LinkCookie + "=" + cookie}, "Origin": {e.appBase}}
	conn, _, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws"+strings.TrimPrefix(e.appPath(linkUUID, "/ws"), "http"), h)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = expectClosed(t, conn)
	r := do(t, "GET", e.appPath(linkUUID, "/echo"), "", nil, append(scriptHeaders, "Cookie: "+proxy.LinkCookie+"="+cookie)...)
	if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the expiry: %d %s", r.StatusCode, body)
	}
	r = do(t, "GET", e.linkURL(linkUUID, secret), "", nil, navHeaders...)
	if body := readAll(t, r); r.StatusCode != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("the expired link: %d %s", r.StatusCode, body)
	}
}

// lobbyTicket returns the state and open URLs of a lobby page.
func lobbyURLs(t *testing.T, body string) (state, open string) {
	t.Helper()
	for _, name := range []string{"stateURL", "openURL"} {
		i := strings.Index(body, name+`="`)
		if i < 0 {
			t.Fatalf("no %s in the lobby page: %s", name, body)
		}
		rest := body[i+len(name)+2:]
		v := rest[:strings.IndexByte(rest, '"')]
		if name == "stateURL" {
			state = v
		} else {
			open = v
		}
	}
	return state, open
}

func TestAnonymousLobby(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	jar, _ := cookiejar.New(nil)
	plain := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Marked as a guest, as the optional sign-in leaves an anonymous browser.
	jar.SetCookies(mustURL(e.appPath(stoppedUUID, "/")), []*http.Cookie{{Name: proxy.GuestCookie, Value: "1", Path: proxy.PathPrefix + stoppedUUID + "/"}})
	r := send(t, plain, "GET", e.appPath(stoppedUUID, "/lab"), navHeaders...)
	body := readAll(t, r)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Starting the app") || r.Header.Get("Retry-After") == "" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "script-src 'nonce-") || strings.Contains(body, "/api/") {
		t.Fatalf("lobby: %d %v %s", r.StatusCode, r.Header, body)
	}
	stateURL, openURL := lobbyURLs(t, body)

	var st struct {
		State   string `json:"state"`
		Message string `json:"message"`
	}
	r = send(t, plain, "GET", e.appBase+stateURL, scriptHeaders...)
	if err := json.Unmarshal([]byte(readAll(t, r)), &st); err != nil || r.StatusCode != 200 || st.State != "stopped" || st.Message == "" {
		t.Fatalf("state: %d %+v %v", r.StatusCode, st, err)
	}
	// The state endpoint answers nothing without a ticket of that app.
	for _, u := range []string{proxy.StatePath + "?app=" + stoppedUUID, strings.Replace(stateURL, stoppedUUID, stopped2, 1),
		strings.Replace(stateURL, "ticket=", "ticket=x", 1)} {
		r = send(t, plain, "GET", e.appBase+u, scriptHeaders...)
		if body := readAll(t, r); r.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d %s", u, r.StatusCode, body)
		}
	}
	// A cross-origin page cannot start the app.
	r = send(t, plain, "POST", e.appBase+openURL, "Origin: https://evil.example")
	if body := readAll(t, r); r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin start: %d %s", r.StatusCode, body)
	}
	r = send(t, plain, "POST", e.appBase+openURL, "Origin: "+e.appBase, "Sec-Fetch-Mode: cors")
	if body := readAll(t, r); r.StatusCode != 200 || !strings.Contains(body, `"running"`) {
		t.Fatalf("start: %d %s", r.StatusCode, body)
	}
	if who := e.starts.who(stoppedUUID); len(who) != 1 || who[0] != "anonymous" {
		t.Fatalf("started by %v", who)
	}
	r = send(t, plain, "GET", e.appBase+stateURL, scriptHeaders...)
	if body := readAll(t, r); !strings.Contains(body, `"running"`) {
		t.Fatalf("state after the start: %s", body)
	}
	decodeEcho(t, send(t, plain, "GET", e.appPath(stoppedUUID, "/echo"), navHeaders...))
	if e.fake.touched(stoppedUUID) == 0 {
		t.Fatal("an anonymous visit was not counted as activity")
	}

	t.Run("anonymous starts are rate limited per app and per address", func(t *testing.T) {
		stop := func(uuid string) {
			e.fake.set(proxy.Target{ContainerUUID: uuid, ProjectUUID: e.project.UUID, State: store.StateStopped, StripPrefix: true,
				Access: settings.AccessPublic})
			e.bus.Publish(events.Event{Type: events.TypeContainerState, Key: uuid, ProjectUUID: e.project.UUID, Data: map[string]any{"state": "stopped"}})
		}
		stop(stoppedUUID)
		waitFor(t, "the stop to reach the proxy", func() bool {
			r := send(t, plain, "GET", e.appBase+stateURL, scriptHeaders...)
			return strings.Contains(readAll(t, r), `"stopped"`)
		})
		// The same app again within the minute: refused, with the time to wait, in JSON for the page's script and
		// in a page for a browser without scripts.
		r := send(t, plain, "POST", e.appBase+openURL, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: cors")
		body := readAll(t, r)
		secs, _ := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.StatusCode != http.StatusTooManyRequests || secs < 1 || secs > 60 || !strings.Contains(body, "rate_limited") {
			t.Fatalf("second start: %d %q %s", r.StatusCode, r.Header.Get("Retry-After"), body)
		}
		r = send(t, plain, "POST", e.appBase+openURL, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: navigate", "Accept: text/html")
		body = readAll(t, r)
		if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in") || r.Header.Get("Retry-After") == "" {
			t.Fatalf("second start as a form: %d %s", r.StatusCode, body)
		}
		if n := len(e.starts.who(stoppedUUID)); n != 1 {
			t.Fatalf("%d starts", n)
		}
		// Another app from the same address: the second start of the address in the minute is allowed (limit 2 in
		// this env), the third is not.
		jar.SetCookies(mustURL(e.appPath(stopped2, "/")), []*http.Cookie{{Name: proxy.GuestCookie, Value: "1", Path: proxy.PathPrefix + stopped2 + "/"}})
		r = send(t, plain, "GET", e.appPath(stopped2, "/"), navHeaders...)
		_, open2 := lobbyURLs(t, readAll(t, r))
		r = send(t, plain, "POST", e.appBase+open2, "Sec-Fetch-Site: same-origin")
		if body := readAll(t, r); r.StatusCode != 200 {
			t.Fatalf("another app: %d %s", r.StatusCode, body)
		}
		stop(stopped2)
		waitFor(t, "the stop to reach the proxy", func() bool {
			r := send(t, plain, "GET", e.appPath(stopped2, "/"), scriptHeaders...)
			readAll(t, r)
			return r.StatusCode == http.StatusServiceUnavailable
		})
		r = send(t, plain, "POST", e.appBase+open2, "Sec-Fetch-Site: same-origin")
		if body := readAll(t, r); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("third start of the address: %d %s", r.StatusCode, body)
		}
	})
}

// A logged-in user without a role who opens a stopped public (or site) app through kiosc's origin finds the lobby on
// the app's origin, where its endpoints are: kiosc's own lobby needs kiosc's API, which does not show them the app.
func TestNonMemberLobbyOnAppOrigin(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	samSession, _ := e.session(e.member("sam", ""))
	b := e.browser(t, samSession)
	r := send(t, b.Client, "GET", e.url(stoppedUUID, "/lab"), navHeaders...)
	body := readAll(t, r)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Starting the app") ||
		!strings.HasPrefix(r.Request.URL.String(), e.appPath(stoppedUUID, "/lab")) {
		t.Fatalf("%d at %s: %s (hops %v)", r.StatusCode, r.Request.URL, body, b.hops)
	}
	stateURL, openURL := lobbyURLs(t, body)
	// A start the site's reservation cap refuses says so in words, without the figures of other apps.
	e.starts.mu.Lock()
	e.starts.refuse = siteFull{}
	e.starts.mu.Unlock()
	r = send(t, b.Client, "POST", e.appBase+openURL, "Origin: "+e.appBase, "Sec-Fetch-Mode: cors")
	if body := readAll(t, r); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "capacity_exceeded") ||
		!strings.Contains(body, "all the capacity") || strings.Contains(body, "CPUs") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("start on a full site: %d %s", r.StatusCode, body)
	}
	r = send(t, b.Client, "POST", e.appBase+openURL, "Origin: "+e.appBase, "Sec-Fetch-Mode: navigate", "Accept: text/html")
	if body := readAll(t, r); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "The site is full") {
		t.Fatalf("start on a full site as a form: %d %s", r.StatusCode, body)
	}
	e.starts.mu.Lock()
	e.starts.refuse = nil
	e.starts.mu.Unlock()
	r = send(t, b.Client, "POST", e.appBase+openURL, "Origin: "+e.appBase, "Sec-Fetch-Mode: cors")
	if body := readAll(t, r); r.StatusCode != 200 || !strings.Contains(body, `"running"`) {
		t.Fatalf("start: %d %s", r.StatusCode, body)
	}
	if who := e.starts.who(stoppedUUID); len(who) != 1 || who[0] != "sam" {
		t.Fatalf("started by %q", who)
	}
	r = send(t, b.Client, "GET", e.appBase+stateURL, scriptHeaders...)
	if body := readAll(t, r); !strings.Contains(body, `"running"`) {
		t.Fatalf("state after the start: %s", body)
	}
	if got := decodeEcho(t, send(t, b.Client, "GET", e.appPath(stoppedUUID, "/echo"), navHeaders...)); got.header("X-Kiosc-User") != "sam" {
		t.Fatalf("the app saw %v", kioscHeaders(got))
	}
}

func TestPublicAppInPathMode(t *testing.T) {
	e := newSharingEnv(t, "path")
	cookie, _ := e.session(e.member("gina", "guest"))
	got := decodeEcho(t, do(t, "GET", e.url(publicUUID, "/echo"), "", nil, append(scriptHeaders, "X-Kiosc-User: admin")...))
	if h := kioscHeaders(got); len(h) != 0 {
		t.Fatalf("anonymous in path mode: %v", h)
	}
	// A member's session is stripped as always, and the member is known to the app.
	got = decodeEcho(t, do(t, "GET", e.url(publicUUID, "/echo"), cookie, nil, scriptHeaders...))
	if got.header("X-Kiosc-User") != "gina" || strings.Contains(got.header("Cookie"), "kiosc_session") {
		t.Fatalf("member in path mode: %v cookie %q", kioscHeaders(got), got.header("Cookie"))
	}
	r := do(t, "GET", e.url(projectUUID, "/echo"), "", nil, navHeaders...)
	readAll(t, r)
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("a project app in path mode: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// A link opened on kiosc's origin in path mode.
	_, secret := e.link(t, linkUUID, "path", 0)
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar}
	r = send(t, b, "GET", e.base+proxy.LinkPath+"?app="+linkUUID+"&key="+url.QueryEscape(secret), navHeaders...)
	if body := readAll(t, r); r.StatusCode != 200 || !strings.Contains(body, "kiosc test app") {
		t.Fatalf("link in path mode: %d %s", r.StatusCode, body)
	}
	got = decodeEcho(t, send(t, b, "GET", e.url(linkUUID, "/echo"), scriptHeaders...))
	if got.header("X-Kiosc-Link") != "path" {
		t.Fatalf("link in path mode: %v", kioscHeaders(got))
	}
	// The anonymous lobby of a stopped public app, with its state on kiosc's origin.
	r = do(t, "GET", e.url(stoppedUUID, "/"), "", nil, navHeaders...)
	body := readAll(t, r)
	stateURL, _ := lobbyURLs(t, body)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(stateURL, proxy.StatePath+"?app="+stoppedUUID) {
		t.Fatalf("lobby in path mode: %d %s", r.StatusCode, body)
	}
	r = do(t, "GET", e.base+stateURL, "", nil, scriptHeaders...)
	if body := readAll(t, r); r.StatusCode != 200 || !strings.Contains(body, `"stopped"`) {
		t.Fatalf("state in path mode: %d %s", r.StatusCode, body)
	}
}

func TestAccessChangeClosesTunnels(t *testing.T) {
	e := newSharingEnv(t, "app-origin")
	conn, resp, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws"+strings.TrimPrefix(e.appPath(publicUUID, "/ws"), "http"),
		http.Header{"Origin": {e.appBase}})
	if err != nil {
		t.Fatalf("an anonymous websocket to a public app: %v (%v)", err, resp)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != "hi" {
		t.Fatalf("echo %q %v", msg, err)
	}
	start := time.Now()
	e.setAccess(publicUUID, settings.AccessProject)
	_ = expectClosed(t, conn)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the tunnel closed %v after the change", d)
	}
	r := send(t, http.DefaultClient, "GET", e.appPath(publicUUID, "/echo"), scriptHeaders...)
	if body := readAll(t, r); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after the change: %d %s", r.StatusCode, body)
	}
}
