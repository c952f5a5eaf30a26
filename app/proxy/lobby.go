package proxy

import (
	"context"
	"errors"
	"html"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// The lobby of visitors who are not members (public visitors, link holders, users without a role in a site or
// public app). kiosc's own lobby is a page of the SPA that needs kiosc's API, which such visitors never reach; they
// get this page instead, served in place of the app on its origin. It starts the app with a POST to OpenPath and
// polls StatePath, which answers only the state of that one app and a progress message in words, and reloads when
// the app runs. Anonymous starts are rate limited per app and per client address.

// Defaults of the anonymous start limits.
const (
	DefaultAnonymousStartEvery   = time.Minute
	DefaultAnonymousStartsPerMin = 3
)

// appState is what the lobby endpoints answer: an app's state and a message in words.
type appState struct {
	State   store.State `json:"state"`
	Message string      `json:"message"`
	Failed  bool        `json:"failed"`
}

// stateOfTarget describes an app's state in words for anonymous visitors: from the state and nothing else (no
// messages of Docker, no configuration).
func stateOfTarget(t Target) appState {
	s := appState{State: t.State}
	switch t.State {
	case store.StateRunning:
		s.Message = "The app is running."
	case store.StatePulling:
		s.Message = "Downloading the app…"
	case store.StateCreating:
		s.Message = "Preparing the app…"
	case store.StateStarting:
		s.Message = "Waiting for the app to answer…"
	case store.StateStopping:
		s.Message = "The app is stopping…"
	case store.StateFailed:
		s.Message, s.Failed = "The app could not be started.", true
	case store.StatePaused:
		s.Message, s.Failed = "The app is paused.", true
	case store.StateDeleting:
		s.Message, s.Failed = "The app is being removed.", true
	case store.StateUnknown:
		s.Message = "The app's host cannot be reached at the moment; kiosc keeps trying."
	default:
		s.Message = "The app is stopped."
	}
	return s
}

// onItsWay reports states in which a start is already under way or done.
func onItsWay(s store.State) bool {
	switch s {
	case store.StateRunning, store.StatePulling, store.StateCreating, store.StateStarting:
		return true
	}
	return false
}

// lobbyEndpoint is the URL of StatePath or OpenPath for an app's lobby page, relative to its origin.
func (p *Proxy) lobbyEndpoint(path, uuid, ticket string) string {
	q := "?"
	if p.apps == nil || !p.apps.subdomain() {
		q += "app=" + uuid + "&"
	}
	return path + q + "ticket=" + ticket
}

// appLobby answers a navigation of a visitor who is not a member to an app that does not run: the lobby page, with
// 503 and Retry-After for anything that is not a browser.
func (p *Proxy) appLobby(c *fiber.Ctx, req request, t Target, v visitor) error {
	ticket := p.ticketFor(v, req.uuid)
	state := stateOfTarget(t)
	nonce := secrets.RandomToken(16)
	h := &c.Response().Header
	h.Set(fiber.HeaderCacheControl, "no-store")
	h.Set(fiber.HeaderRetryAfter, "5")
	h.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	h.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	h.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'unsafe-inline'; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	stateURL := p.lobbyEndpoint(StatePath, req.uuid, ticket)
	openURL := p.lobbyEndpoint(OpenPath, req.uuid, ticket)
	failed := ""
	if state.Failed {
		failed = ` data-failed="1"`
	}
	return c.Status(fiber.StatusServiceUnavailable).SendString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Starting the app</title>
<noscript><meta http-equiv="refresh" content="10"></noscript>
<style>` + pageStyle + `</style>
</head><body><main id="lobby" data-state="` + html.EscapeString(string(state.State)) + `"` + failed + `>
<h1>Starting the app</h1>
<p>The app was not running. It is being started and opens here as soon as it answers; this can take a minute.</p>
<div class="bar" aria-hidden="true"><span></span></div>
<p id="msg" role="status" aria-live="polite">` + html.EscapeString(state.Message) + `</p>
<button id="again" type="button" hidden>Try again</button>
<noscript><form method="post" action="` + html.EscapeString(openURL+"&next="+url.QueryEscape(req.original)) + `"><button type="submit">Start the app</button></form></noscript>
<p class="muted">Served by kiosc.</p>
</main>
<script nonce="` + nonce + `">(function(){
var stateURL="` + jsString(stateURL) + `",openURL="` + jsString(openURL) + `";
var msg=document.getElementById("msg"),again=document.getElementById("again"),main=document.getElementById("lobby");
function show(t){msg.textContent=t;}
function poll(){fetch(stateURL,{credentials:"same-origin",cache:"no-store"}).then(function(r){
if(!r.ok){throw new Error("state "+r.status);}return r.json();}).then(function(s){
main.setAttribute("data-state",s.state);show(s.message);
if(s.state==="running"){location.reload();return;}
if(s.failed){again.hidden=false;return;}
setTimeout(poll,1000);}).catch(function(){setTimeout(poll,3000);});}
function open(){again.hidden=true;fetch(openURL,{method:"POST",credentials:"same-origin",cache:"no-store"}).then(function(r){
if(r.status===429){var s=parseInt(r.headers.get("Retry-After")||"30",10);
show("This app was started a moment ago, or many apps were started from your address: trying again in "+s+" s.");
main.setAttribute("data-state","rate-limited");setTimeout(open,s*1000);return;}
return r.json().then(function(s){if(!r.ok){show(s.error&&s.error.message||"The app could not be started.");again.hidden=false;return;}
main.setAttribute("data-state",s.state);show(s.message);poll();});}).catch(function(){setTimeout(open,3000);});}
again.addEventListener("click",open);
if(main.getAttribute("data-failed")){again.hidden=false;}else{open();}
})();</script>
</body></html>`)
}

// jsString makes s safe inside a double-quoted JavaScript string in a script element.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\u003c`, ">", `\u003e`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return r.Replace(s)
}

// lobbyRequest resolves the app and the visitor of a request to StatePath or OpenPath; ok false answers 404 (a
// ticket that is not valid for the app, or a visitor who may no longer open it, learns nothing).
func (p *Proxy) lobbyRequest(c *fiber.Ctx, uuid string) (Target, visitor, error) {
	ctx := c.UserContext()
	c.Set(fiber.HeaderCacheControl, "no-store")
	ticket := string(c.Request().URI().QueryArgs().Peek("ticket"))
	v, ok, err := p.ticketVisitor(ctx, ticket, uuid)
	if err != nil {
		return Target{}, v, err
	}
	if !ok {
		return Target{}, v, web.NotFound("app")
	}
	t, err := p.target(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return Target{}, v, web.NotFound("app")
	}
	if err != nil {
		return Target{}, v, err
	}
	if err := p.admit(ctx, &v, t); err != nil {
		if errors.Is(err, errSignIn) {
			return Target{}, v, web.NotFound("app")
		}
		return Target{}, v, err
	}
	return t, v, nil
}

// appState serves StatePath: the state of one app for its lobby page.
func (p *Proxy) appState(c *fiber.Ctx, uuid string) error {
	t, _, err := p.lobbyRequest(c, uuid)
	if err != nil {
		return err
	}
	return c.JSON(stateOfTarget(t))
}

// openApp serves OpenPath: it starts one app for its lobby page (or a form of a browser without scripts), unless it
// runs or is on its way. Anonymous starts are limited per app and per client address (429 with Retry-After).
func (p *Proxy) openApp(c *fiber.Ctx, uuid string) error {
	nav := IsNavigation(c)
	if !p.sameOriginPost(c) {
		return web.Forbidden("cross-origin request refused")
	}
	t, v, err := p.lobbyRequest(c, uuid)
	if err != nil {
		return err
	}
	next := PathPrefix + uuid + "/"
	if p.apps != nil {
		next = p.apps.cleanNext(uuid, string(c.Request().URI().QueryArgs().Peek("next")))
	}
	if !onItsWay(t.State) {
		if p.opt.Open == nil {
			return web.Unavailable("unavailable", "the app cannot be started from here; open it from kiosc", 30)
		}
		if v.id == nil {
			if ok, wait := p.starts.allow(uuid, web.ClientAddr(c)); !ok {
				secs := int(wait/time.Second) + 1
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
				msg := "this app was started a moment ago, or many apps were started from your address; try again in " + strconv.Itoa(secs) + " s"
				if nav {
					return p.page(c, fiber.StatusTooManyRequests, "Please wait", strings.ToUpper(msg[:1])+msg[1:]+".", next)
				}
				return &web.Error{Status: fiber.StatusTooManyRequests, Code: "rate_limited", Message: msg, RetryAfter: secs}
			}
		}
		user, err := p.startUser(c.UserContext(), v)
		if err != nil {
			return err
		}
		if err := p.opt.Open(c.UserContext(), user, uuid); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return web.NotFound("app")
			}
			p.opt.Log.Warn("proxy: a visitor's start of an app failed", "container", uuid, "user", user.Username, "err", err)
			var full interface{ SiteFull() string }
			if errors.As(err, &full) {
				// The site's reservation cap: say so (no figures of other apps), and when to try again.
				c.Set(fiber.HeaderRetryAfter, "60")
				if nav {
					return p.page(c, fiber.StatusServiceUnavailable, "The site is full", full.SiteFull(), next)
				}
				return &web.Error{Status: fiber.StatusServiceUnavailable, Code: "capacity_exceeded", Message: full.SiteFull(), RetryAfter: 60}
			}
			return &web.Error{Status: fiber.StatusConflict, Code: "start_refused", Message: "the app cannot be started now; try again later"}
		}
		if t, err = p.target(c.UserContext(), uuid); err != nil {
			return err
		}
	}
	if nav {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return c.JSON(stateOfTarget(t))
}

// startUser is who a visitor's start is recorded as: the user, or "anonymous" and "link <name>" for visitors
// without an account. A lobby ticket names a user by ID only: their record is read here, so that the start is
// recorded with their name.
func (p *Proxy) startUser(ctx context.Context, v visitor) (*store.User, error) {
	switch {
	case v.id != nil:
		if v.id.User.Username == "" && p.opt.Sessions != nil {
			u, err := p.opt.Sessions.GetUser(ctx, v.id.User.ID)
			if err != nil {
				return nil, err
			}
			return u, nil
		}
		return v.id.User, nil
	case v.link != nil:
		return &store.User{Username: "link " + v.link.header}, nil
	}
	return &store.User{Username: "anonymous"}, nil
}

// sameOriginPost accepts a POST sent by a page of the origin it was sent to: an Origin of this origin, or without
// one a Sec-Fetch-Site of same-origin, or neither (not a browser).
func (p *Proxy) sameOriginPost(c *fiber.Ctx) bool {
	h := &c.Request().Header
	if origin := h.Peek(fiber.HeaderOrigin); len(origin) > 0 {
		if p.apps != nil {
			return p.apps.sameOrigin(origin, h.Host())
		}
		return web.SameOrigin(c, p.opt.BaseURL)
	}
	if site := h.Peek("Sec-Fetch-Site"); len(site) > 0 {
		return string(site) == "same-origin"
	}
	return true
}

// startLimiter limits the starts of apps by visitors without an account: one per app per interval, and a few per
// client address (IPv6 per /64) per minute.
type startLimiter struct {
	appEvery time.Duration
	perAddr  int
	now      func() time.Time

	mu    sync.Mutex
	apps  map[string]time.Time
	addrs map[netip.Prefix][]time.Time
}

func newStartLimiter(appEvery time.Duration, perAddr int) *startLimiter {
	if appEvery <= 0 {
		appEvery = DefaultAnonymousStartEvery
	}
	if perAddr <= 0 {
		perAddr = DefaultAnonymousStartsPerMin
	}
	return &startLimiter{appEvery: appEvery, perAddr: perAddr, now: time.Now, apps: map[string]time.Time{},
		addrs: map[netip.Prefix][]time.Time{}}
}

// allow counts a start of app from addr, or says how long to wait.
func (l *startLimiter) allow(app string, addr netip.Addr) (bool, time.Duration) {
	now := l.now()
	key := netip.PrefixFrom(addr, addr.BitLen())
	if addr.Is6() {
		key = netip.PrefixFrom(addr, 64).Masked()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.apps)+len(l.addrs) > 10000 {
		l.prune(now)
	}
	if last, ok := l.apps[app]; ok && now.Sub(last) < l.appEvery {
		return false, l.appEvery - now.Sub(last)
	}
	recent := l.addrs[key][:0]
	for _, t := range l.addrs[key] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.perAddr {
		l.addrs[key] = recent
		return false, time.Minute - now.Sub(recent[0])
	}
	l.addrs[key] = append(recent, now)
	l.apps[app] = now
	return true, 0
}

func (l *startLimiter) prune(now time.Time) {
	for k, t := range l.apps {
		if now.Sub(t) >= l.appEvery {
			delete(l.apps, k)
		}
	}
	for k, ts := range l.addrs {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
			delete(l.addrs, k)
		}
	}
}
