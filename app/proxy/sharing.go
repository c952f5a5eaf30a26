package proxy

import (
	"context"
	"crypto/subtle"
	"errors"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// Apps open beyond their project. A container's access level (settings.Access*) says who may open it: project
// members (guest and up), any logged-in user (site), also holders of a secret link (link) or anyone (public). Link
// and public access count only while the site setting allows them; otherwise such apps behave as project apps.
//
// Visitors who are not kiosc users never reach kiosc's API and never get a kiosc session:
//   - A link (LinkPath on the app's origin, with the link's secret) gives the browser a link cookie of its own kind,
//     signed and scoped like the app cookie, naming the link and the container. Every request re-checks that the
//     link still exists (cached for CacheTTL; revoking a link forgets it at once and closes its tunnels).
//   - Public apps are served to anyone. On an app origin, a navigation without any credential first goes through an
//     optional sign-in (StartPath with guest=1): kiosc's origin signs in a browser that has a kiosc session, and
//     sends any other back at once with a guest marker, so that logged-in users keep their identity in public apps.
//   - A visitor who is not a member and finds the app stopped gets a small lobby page of the app's origin (lobby.go)
//     that starts the app (OpenPath, rate limited for anonymous visitors) and polls its state (StatePath).

// LinkPath is the reserved path on app origins (and on kiosc's origin in path mode) that opens a link:
// LinkPath?app=<uuid>&key=<secret> (no app parameter in subdomain mode).
const LinkPath = routing.LinkPath

// StatePath answers the state of one app to its lobby page: StatePath?app=<uuid>&ticket=<ticket>.
const StatePath = "/.kiosc/state"

// OpenPath starts one app from its lobby page (POST): OpenPath?app=<uuid>&ticket=<ticket>.
const OpenPath = "/.kiosc/open"

// LinkCookie is the cookie that carries a link (under plain http); SecureLinkCookie is its name under https in
// subdomain mode, where the app has its origin to itself.
const (
	LinkCookie       = "kiosc_link"
	SecureLinkCookie = "__Host-kiosc_link"
)

// GuestCookie marks a browser that the optional sign-in of a public app found without a kiosc session: it is served
// anonymously, without another round trip to kiosc's origin, until the marker expires. It carries no right.
const GuestCookie = "kiosc_app_guest"

// GuestLifetime is how long a browser stays anonymous in a public app before the next navigation asks kiosc's
// origin again (a visitor who logs in to kiosc meanwhile is known to the app after at most this long).
const GuestLifetime = 10 * time.Minute

// MaxLinkCookieLifetime bounds the link cookie of a link that does not expire; the link's URL renews it.
const MaxLinkCookieLifetime = 30 * 24 * time.Hour

// linkCookiePurpose and ticketPurpose separate these signatures from every other use of the instance key.
const (
	linkCookiePurpose = "kiosc link cookie v1"
	ticketPurpose     = "kiosc lobby ticket v1"
)

// TicketLifetime is how long a lobby page may poll and start its app.
const TicketLifetime = 15 * time.Minute

// Sharing is what the proxy needs to serve apps beyond their project: the site setting and the links
// (*sharing.Service implements it).
type Sharing interface {
	Site() settings.Sharing
	// Link returns a link by ID, an error wrapping store.ErrNotFound when it was revoked.
	Link(ctx context.Context, id int64) (*store.ContainerLink, error)
	// LinkBySecret returns the link of a secret (store.ErrNotFound when none) and records its use.
	LinkBySecret(ctx context.Context, secret string) (*store.ContainerLink, error)
}

// visitor is who a request to an app comes from: a kiosc user (session, API token or app cookie), a link holder,
// or nobody. It is passed by value on the hot path.
type visitor struct {
	id *auth.Identity
	// role is the user's effective role in the app's project ("superuser" for superusers without one, "" for users
	// without a role in a site or public app); set by admit.
	role string
	link *linkGrant
}

// name is how logs name the visitor.
func (v visitor) name() string {
	switch {
	case v.id != nil:
		return v.id.User.Username
	case v.link != nil:
		return "link " + v.link.header
	}
	return "anonymous"
}

// anonymous reports a visitor who is neither a kiosc user nor a link holder.
func (v visitor) anonymous() bool { return v.id == nil && v.link == nil }

// member reports a kiosc user whose role (or superuser flag) opens the project's apps whatever their access level:
// they use kiosc's own lobby.
func (v visitor) member() bool {
	return v.id != nil && (v.id.User.IsSuperuser || access.Allowed(false, v.role, access.OpenApp))
}

// linkGrant is a verified link cookie.
type linkGrant struct {
	id        int64
	container string
	// header is the value of X-Kiosc-Link: the link's name, or #<id> for a link without one.
	header  string
	expires time.Time // zero: the link does not expire
}

// errSignIn means the visitor must sign in to kiosc (or hold a link) to open the app.
var errSignIn = errors.New("sign-in needed")

// site returns the site's sharing setting (nothing beyond the project without Options.Sharing).
func (p *Proxy) site() settings.Sharing {
	if p.opt.Sharing == nil {
		return settings.Sharing{}
	}
	return p.opt.Sharing.Site()
}

// admit decides whether v may open the app of t, setting v.role for users. Users without the right get 404 (no role
// in the project) or 403 (viewers) as before, unless the app's access level lets any user in; link holders are let
// into link apps of their link's container; anyone into public apps. Otherwise it returns errSignIn.
func (p *Proxy) admit(ctx context.Context, v *visitor, t Target) error {
	eff := p.site().Effective(t.Access)
	if v.id != nil {
		err := p.admitUser(ctx, v, t, eff)
		if err == nil || v.link == nil {
			return err
		}
		// A user whose role does not open the app but who holds a link to it comes in as a link holder.
		v.id, v.role = nil, ""
	}
	if v.link != nil {
		if eff == settings.AccessLink && v.link.container == t.ContainerUUID {
			return nil
		}
		v.link = nil
	}
	if eff == settings.AccessPublic {
		return nil
	}
	return errSignIn
}

func (p *Proxy) admitUser(ctx context.Context, v *visitor, t Target, eff string) error {
	u := v.id.User
	proj, role, err := p.opt.Checker.Role(ctx, u, t.ProjectUUID)
	if err != nil {
		return err
	}
	if proj == nil {
		return web.NotFound("container")
	}
	v.role = role
	switch {
	case u.IsSuperuser:
		if role == "" {
			v.role = "superuser"
		}
		return nil
	case access.Allowed(false, role, access.OpenApp):
		return nil
	case eff == settings.AccessSite || eff == settings.AccessPublic:
		return nil
	case role == "":
		return web.NotFound("container")
	}
	return web.Forbidden("your role in this project does not allow opening its apps")
}

// linkCookieName is the link cookie's name: __Host- where the app has its origin to itself under https, __Secure-
// on a shared origin under https (the cookie is scoped to the app's prefix), plain under http.
func (p *Proxy) linkCookieName() string {
	switch {
	case p.scheme != "https" && (p.apps == nil || p.apps.scheme != "https"):
		return LinkCookie
	case p.apps != nil && p.apps.subdomain():
		return SecureLinkCookie
	}
	return "__Secure-" + LinkCookie
}

// appCookiePath is where the cookies of an app are sent: its prefix on a shared origin, / on its own origin.
func (p *Proxy) appCookiePath(uuid string) string {
	if p.apps != nil {
		return p.apps.cookiePath(uuid)
	}
	return PathPrefix + uuid + "/"
}

// secureApps reports https on the origin apps are served on.
func (p *Proxy) secureApps() bool {
	if p.apps != nil {
		return p.apps.scheme == "https"
	}
	return p.scheme == "https"
}

// linkCookieValue signs a link for one container: "v1.<link id>.<uuid>.<expires>.<sig>".
func (p *Proxy) linkCookieValue(id int64, uuid string, expires time.Time) string {
	payload := "v1." + strconv.FormatInt(id, 10) + "." + uuid + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + p.keys.Sign(linkCookiePurpose, []byte(payload))
}

// identifyLink resolves the link cookie of a request to the app uuid (nil when there is none or it no longer
// opens anything). Verified cookies are cached for CacheTTL, revoked ones too (as nil grants).
func (p *Proxy) identifyLink(c *fiber.Ctx, uuid string) (*linkGrant, error) {
	raw, n := web.CookieValue(&c.Request().Header, p.linkCookie)
	if len(raw) == 0 {
		return nil, nil
	}
	if n > 1 {
		return nil, web.ErrDuplicateCookie
	}
	now := time.Now()
	if g, ok := p.links.getBytes(raw); ok {
		if g == nil || g.container != uuid || !g.expires.IsZero() && !now.Before(g.expires) {
			return nil, nil
		}
		return g, nil
	}
	value := string(raw)
	gen := p.links.generation()
	g, err := p.resolveLink(c.UserContext(), value, now)
	if err != nil {
		return nil, err
	}
	p.links.put(value, g, gen)
	if g == nil || g.container != uuid {
		return nil, nil
	}
	return g, nil
}

// resolveLink verifies a link cookie and looks its link up (nil when the cookie is forged, expired or its link
// revoked).
func (p *Proxy) resolveLink(ctx context.Context, value string, now time.Time) (*linkGrant, error) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 || p.opt.Sharing == nil || !p.keys.Verify(linkCookiePurpose, []byte(value[:i]), value[i+1:]) {
		return nil, nil
	}
	parts := strings.Split(value[:i], ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return nil, nil
	}
	id, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || !now.Before(time.Unix(exp, 0)) {
		return nil, nil
	}
	return p.grant(ctx, id, parts[2], now)
}

// grant looks a link up by ID for the container uuid: nil when it was revoked, has expired or belongs elsewhere.
func (p *Proxy) grant(ctx context.Context, id int64, uuid string, now time.Time) (*linkGrant, error) {
	l, err := p.opt.Sharing.Link(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.ContainerUUID != uuid || l.Expired(now) {
		return nil, nil
	}
	g := &linkGrant{id: l.ID, container: l.ContainerUUID, header: auth.HeaderValue(l.Name)}
	if g.header == "" {
		g.header = "#" + strconv.FormatInt(l.ID, 10)
	}
	if l.ExpiresAt != nil {
		g.expires = *l.ExpiresAt
	}
	return g, nil
}

// openLink serves LinkPath: it checks the link's secret, gives the browser the link cookie and sends it to the app.
// Answers are pages for people; the secret never reaches the app or a Referer.
func (p *Proxy) openLink(c *fiber.Ctx, uuid string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	if p.opt.Sharing == nil {
		return p.page(c, fiber.StatusNotFound, "Link not valid", "This link does not open anything.", "")
	}
	ctx := c.UserContext()
	key := string(c.Request().URI().QueryArgs().Peek("key"))
	l, err := p.opt.Sharing.LinkBySecret(ctx, key)
	if errors.Is(err, store.ErrNotFound) || err == nil && l.ContainerUUID != uuid {
		return p.page(c, fiber.StatusNotFound, "Link not valid",
			"This link does not open anything: it may have been revoked. Ask whoever sent it for a new one.", "")
	}
	if err != nil {
		return err
	}
	now := time.Now()
	if l.Expired(now) {
		return p.page(c, fiber.StatusGone, "Link expired", "This link has expired. Ask whoever sent it for a new one.", "")
	}
	t, err := p.target(ctx, uuid)
	if errors.Is(err, store.ErrNotFound) {
		return p.page(c, fiber.StatusNotFound, "Link not valid", "The app of this link no longer exists.", "")
	}
	if err != nil {
		return err
	}
	if p.site().Effective(t.Access) != settings.AccessLink {
		return p.page(c, fiber.StatusForbidden, "App not shared by link",
			"This app is not shared by link at the moment. Ask whoever sent the link.", "")
	}
	expires := now.Add(MaxLinkCookieLifetime)
	if l.ExpiresAt != nil && l.ExpiresAt.Before(expires) {
		expires = *l.ExpiresAt
	}
	c.Cookie(&fiber.Cookie{
		Name: p.linkCookie, Value: p.linkCookieValue(l.ID, uuid, expires), Path: p.appCookiePath(uuid), Expires: expires,
		HTTPOnly: true, Secure: p.secureApps(), SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(p.appEntry(uuid, t.ContainerPath), fiber.StatusFound)
}

// appEntry is the path on the app's origin that opens the app at its container path.
func (p *Proxy) appEntry(uuid, containerPath string) string {
	base := PathPrefix + uuid + "/"
	if p.apps != nil && p.apps.subdomain() {
		base = "/"
	}
	return base + strings.TrimPrefix(containerPath, "/")
}

// guestMarked reports a browser that the optional sign-in of a public app found without a kiosc session.
func guestMarked(h *fasthttp.RequestHeader) bool {
	v, _ := web.CookieValue(h, GuestCookie)
	return len(v) > 0
}

// guestStartURL is StartPath with the optional sign-in of a public app.
func (s *appOrigins) guestStartURL(uuid, next string) string {
	return s.startURL(uuid, next) + "&guest=1"
}

// guestReturnURL is where kiosc's origin sends a browser without a kiosc session back to, on a public app's optional
// sign-in: AuthPath with the sign-in's state instead of a token.
func (s *appOrigins) guestReturnURL(uuid, state, next string) string {
	return s.origin(uuid) + AuthPath + "?" + s.appQuery(uuid) + "guest=" + url.QueryEscape(state) + "&next=" + url.QueryEscape(next)
}

// guestExchange ends the optional sign-in of a public app for a browser without a kiosc session: with the state
// cookie of the sign-in it started, it is marked as a guest and goes on to next, anonymous.
func (p *Proxy) guestExchange(c *fiber.Ctx, uuid, next, guest string) error {
	stateName := p.apps.stateCookieName(uuid)
	state := c.Request().Header.Cookie(stateName)
	if len(state) == 0 || subtle.ConstantTimeCompare(state, []byte(guest)) != 1 {
		return p.exchangeFailed(c, uuid, next, errTokenBrowser)
	}
	secure := p.apps.scheme == "https"
	c.Cookie(&fiber.Cookie{
		Name: stateName, Path: p.apps.stateCookiePath(), Expires: fasthttp.CookieExpireDelete,
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	c.Cookie(&fiber.Cookie{
		Name: GuestCookie, Value: "1", Path: p.apps.cookiePath(uuid), MaxAge: int(GuestLifetime / time.Second),
		HTTPOnly: true, Secure: secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(next, fiber.StatusFound)
}

// Lobby tickets. The lobby page of a visitor who is not a member carries a ticket, signed by kiosc, that names the
// app and the visitor (public, a link, or a user) and lets the page poll StatePath and post to OpenPath: those
// reserved paths lie outside the app's cookie path on a shared origin. Each use re-checks that the visitor may still
// open the app.

// ticketFor signs a ticket for v and the app uuid: "v1.<uuid>.<kind>.<subject>.<expires>.<sig>".
func (p *Proxy) ticketFor(v visitor, uuid string) string {
	kind, subject := "p", "-"
	switch {
	case v.id != nil:
		kind, subject = "u", strconv.FormatInt(v.id.User.ID, 10)
	case v.link != nil:
		kind, subject = "l", strconv.FormatInt(v.link.id, 10)
	}
	payload := "v1." + uuid + "." + kind + "." + subject + "." + strconv.FormatInt(time.Now().Add(TicketLifetime).Unix(), 10)
	return payload + "." + p.keys.Sign(ticketPurpose, []byte(payload))
}

// ticketVisitor verifies a ticket for the app uuid and returns its visitor as it stands now (ok false when the
// ticket is not valid or its visitor no longer exists).
func (p *Proxy) ticketVisitor(ctx context.Context, ticket, uuid string) (visitor, bool, error) {
	i := strings.LastIndexByte(ticket, '.')
	if i < 0 || !p.keys.Verify(ticketPurpose, []byte(ticket[:i]), ticket[i+1:]) {
		return visitor{}, false, nil
	}
	parts := strings.Split(ticket[:i], ".")
	if len(parts) != 5 || parts[0] != "v1" || parts[1] != uuid {
		return visitor{}, false, nil
	}
	exp, err := strconv.ParseInt(parts[4], 10, 64)
	now := time.Now()
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return visitor{}, false, nil
	}
	switch parts[2] {
	case "p":
		return visitor{}, true, nil
	case "l":
		id, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil || p.opt.Sharing == nil {
			return visitor{}, false, nil
		}
		g, err := p.grant(ctx, id, uuid, now)
		if err != nil || g == nil {
			return visitor{}, false, err
		}
		return visitor{link: g}, true, nil
	case "u":
		id, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil {
			return visitor{}, false, nil
		}
		u, ok, err := p.opt.Checker.Current(ctx, &store.User{ID: id})
		if err != nil || !ok {
			return visitor{}, false, err
		}
		return visitor{id: &auth.Identity{User: u}}, true, nil
	}
	return visitor{}, false, nil
}

// page answers a small self-contained page on an app origin (never kiosc's SPA), with an optional way on.
func (p *Proxy) page(c *fiber.Ctx, status int, title, text, link string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	var more string
	if link != "" {
		more = `<a class="button" href="` + html.EscapeString(link) + `">Try again</a>`
	}
	return c.Status(status).SendString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + html.EscapeString(title) + `</title>
<style>` + pageStyle + `</style>
</head><body><main><h1>` + html.EscapeString(title) + `</h1><p>` + html.EscapeString(text) + `</p>` + more + `</main></body></html>`)
}

// pageStyle is the look of the pages kiosc serves on app origins.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:36rem;margin:4rem auto;padding:1.5rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}
h1{font-size:1.4rem;margin-top:0}.muted{color:#57606a;font-size:.9rem}
a.button,button{display:inline-block;margin-top:1rem;padding:.4rem 1rem;border:0;border-radius:4px;background:#0f6e7f;color:#fff;
text-decoration:none;font:inherit;cursor:pointer}
.bar{height:6px;background:#d0d7de;border-radius:3px;overflow:hidden;margin:1rem 0}
.bar span{display:block;height:100%;width:30%;background:#0f6e7f;animation:slide 1.4s ease-in-out infinite}
@keyframes slide{0%{margin-left:-30%}100%{margin-left:100%}}
@media (prefers-reduced-motion:reduce){.bar span{animation:none;width:100%}}`

// The identity headers an app receives. Requests never bring their own: every X-Kiosc-* header of a request (also
// with underscores) is removed first.
const (
	HeaderUser      = "X-Kiosc-User"       // the username
	HeaderUserName  = "X-Kiosc-User-Name"  // the user's full name
	HeaderUserEmail = "X-Kiosc-User-Email" // the user's e-mail address
	// HeaderRole is the user's effective role in the app's project: owner, delegate, contributor, guest, viewer;
	// superuser for superusers without a role; empty for users without a role in a site or public app.
	HeaderRole   = "X-Kiosc-Role"
	HeaderGroups = "X-Kiosc-Groups" // the user's groups from the OIDC provider, comma-separated (absent: none)
	// HeaderLink is sent instead for a link holder: the link's name, or #<id> for a link without one.
	HeaderLink = "X-Kiosc-Link"
)
