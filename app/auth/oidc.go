package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

// OIDCLoginLifetime is how long a browser may take at the provider before the login must be started again.
const OIDCLoginLifetime = 10 * time.Minute

// maxPendingLogins bounds the logins in progress (far above what real users start within OIDCLoginLifetime).
const maxPendingLogins = 10000

// validUsername is what kiosc accepts as a username (the same rule as user administration).
var validUsername = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,149}$`)

// OIDCConfig configures single sign-on.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is kiosc's callback (<base URL>/auth/oidc/callback); PostLogoutURL is where the provider sends the
	// browser after its own logout (<base URL>/login).
	RedirectURL     string
	PostLogoutURL   string
	Scopes          []string
	UsernameClaim   string
	GroupsClaim     string
	SuperuserGroups []string
	// HTTPClient talks to the provider (discovery, token, keys, userinfo); nil means one with a 10 s timeout.
	HTTPClient *http.Client
}

// TimelineWriter records timeline events (the API's recorder, which also publishes them live).
type TimelineWriter interface {
	Record(ctx context.Context, e *store.TimelineEvent)
}

// LoginError is a failed single sign-on: Message is safe and clear for the person at the browser, Cause (may be nil)
// has the details for the log.
type LoginError struct {
	Message string
	Cause   error
}

func (e *LoginError) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *LoginError) Unwrap() error { return e.Cause }

func loginErr(cause error, format string, args ...any) *LoginError {
	return &LoginError{Message: fmt.Sprintf(format, args...), Cause: cause}
}

// provider is the result of discovery.
type provider struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	prov     *oidc.Provider
	endSess  string
}

// OIDC runs the authorization code flow with PKCE (S256), state and nonce against the configured provider and maps
// its users to kiosc accounts. Discovery is lazy and retried on every login until it succeeds, so a provider that is
// down when kiosc starts does not stop kiosc and is picked up once it answers.
type OIDC struct {
	cfg      OIDCConfig
	svc      *Service
	timeline TimelineWriter
	log      *slog.Logger
	client   *http.Client

	mu   sync.Mutex
	prov *provider
}

// NewOIDC returns the single sign-on flow. timeline may be nil.
func NewOIDC(cfg OIDCConfig, svc *Service, timeline TimelineWriter, log *slog.Logger) *OIDC {
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "preferred_username"
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &OIDC{cfg: cfg, svc: svc, timeline: timeline, log: log, client: client}
}

func (o *OIDC) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, o.client), o.client)
}

// Warm tries discovery once in the background, so the first login is quick and a misconfiguration shows in the log
// at start. A failure is only logged; logins retry.
func (o *OIDC) Warm(ctx context.Context) {
	go func() {
		if _, err := o.discover(ctx); err != nil {
			o.log.Warn("OIDC provider not reachable yet; single sign-on retries at each login", "issuer", o.cfg.Issuer, "err", err)
		}
	}()
}

// discover returns the provider, fetching its discovery document if that has not succeeded yet.
func (o *OIDC) discover(ctx context.Context) (*provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.prov != nil {
		return o.prov, nil
	}
	// The context carries only the HTTP client into the key set go-oidc keeps; the deadline bounds this call.
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	// A trailing slash is the commonest difference between a configured and an advertised issuer: accept the
	// provider's spelling then, since the ID tokens carry it. Any other mismatch stays an error.
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) && strings.TrimSuffix(mismatch.Provided, "/") == strings.TrimSuffix(mismatch.Discovered, "/") {
		o.log.Info("using the issuer as the provider spells it", "configured", mismatch.Provided, "advertised", mismatch.Discovered)
		o.cfg.Issuer = mismatch.Discovered
		p, err = oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	}
	if err != nil {
		return nil, err
	}
	var meta struct {
		EndSession string   `json:"end_session_endpoint"`
		Scopes     []string `json:"scopes_supported"`
		Challenges []string `json:"code_challenge_methods_supported"`
	}
	_ = p.Claims(&meta)
	if len(meta.Challenges) > 0 && !slices.Contains(meta.Challenges, "S256") {
		o.log.Warn("the OIDC provider does not list PKCE S256; sending it anyway", "issuer", o.cfg.Issuer)
	}
	scopes := slices.Clone(o.cfg.Scopes)
	if len(o.cfg.SuperuserGroups) > 0 && slices.Contains(meta.Scopes, "groups") && !slices.Contains(scopes, "groups") {
		scopes = append(scopes, "groups")
	}
	o.prov = &provider{
		prov:     p,
		verifier: p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}),
		endSess:  meta.EndSession,
		oauth: oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: scopes},
	}
	o.log.Info("OIDC provider discovered", "issuer", o.cfg.Issuer, "end_session", meta.EndSession != "", "scopes", strings.Join(scopes, " "))
	return o.prov, nil
}

// Begin starts a login: it records state, nonce and PKCE verifier (bound to the browser by browserKey, a random
// value the caller keeps in a cookie) and returns the provider URL to send the browser to.
func (o *OIDC) Begin(ctx context.Context, next string) (authURL, browserKey string, err error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", "", loginErr(err, "the single sign-on provider cannot be reached right now; please try again in a moment")
	}
	now := o.svc.now().UTC()
	// Starting a login is anonymous: bound the rows anyone can make kiosc keep.
	if n, err := o.svc.store.CountOIDCLogins(ctx, now); err != nil {
		return "", "", err
	} else if n >= maxPendingLogins {
		return "", "", loginErr(fmt.Errorf("%d logins in progress", n), "too many sign-ins are in progress; please try again in a few minutes")
	}
	state, nonce, verifier := secrets.RandomToken(32), secrets.RandomToken(32), oauth2.GenerateVerifier()
	browserKey = secrets.RandomToken(32)
	err = o.svc.store.CreateOIDCLogin(ctx, &store.OIDCLogin{StateHash: secrets.Hash(state), BrowserHash: secrets.Hash(browserKey),
		Nonce: nonce, VerifierEnc: o.svc.keys.Encrypt([]byte(verifier)), NextPath: next, CreatedAt: now, ExpiresAt: now.Add(OIDCLoginLifetime)})
	if err != nil {
		return "", "", err
	}
	return p.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), browserKey, nil
}

// Callback is what the provider sent back to /auth/oidc/callback.
type Callback struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
}

// Finish completes a login: it consumes the login started by Begin (so a callback works once), checks it belongs to
// this browser, exchanges the code with the PKCE verifier, verifies the ID token and its nonce, maps the user to a
// kiosc account and starts a session. It returns the identity, the session cookie value and where to go next.
func (o *OIDC) Finish(ctx context.Context, cb Callback, browserKey, addr, userAgent string) (*Identity, string, string, error) {
	if cb.State == "" {
		return nil, "", "", loginErr(nil, "the sign-in response from the provider is incomplete (no state); please sign in again")
	}
	login, err := o.svc.store.TakeOIDCLogin(ctx, secrets.Hash(cb.State))
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", "", loginErr(errors.New("unknown, used or tampered state"), "this sign-in link is invalid or was already used; please sign in again")
	}
	if err != nil {
		return nil, "", "", err
	}
	if browserKey == "" || secrets.Hash(browserKey) != login.BrowserHash {
		return nil, "", "", loginErr(errors.New("state belongs to another browser"), "this sign-in was started in another browser or tab; please sign in again")
	}
	if !o.svc.now().Before(login.ExpiresAt) {
		return nil, "", "", loginErr(errors.New("login state expired"), "the sign-in took longer than %d minutes; please sign in again", int(OIDCLoginLifetime.Minutes()))
	}
	if cb.Error != "" {
		msg := "the sign-in was cancelled or denied at the provider"
		if cb.Error != "access_denied" {
			msg = "the provider refused the sign-in (" + cb.Error + ")"
		}
		if cb.ErrorDescription != "" {
			msg += ": " + cb.ErrorDescription
		}
		return nil, "", "", loginErr(fmt.Errorf("provider error %s: %s", cb.Error, cb.ErrorDescription), "%s", msg)
	}
	if cb.Code == "" {
		return nil, "", "", loginErr(nil, "the sign-in response from the provider is incomplete (no code); please sign in again")
	}
	p, err := o.discover(ctx)
	if err != nil {
		return nil, "", "", loginErr(err, "the single sign-on provider cannot be reached right now; please try again in a moment")
	}
	verifier, err := o.svc.keys.Decrypt(login.VerifierEnc)
	if err != nil {
		return nil, "", "", loginErr(err, "this sign-in cannot be completed (the server key changed); please sign in again")
	}
	tok, err := p.oauth.Exchange(o.ctx(ctx), cb.Code, oauth2.VerifierOption(string(verifier)))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, "", "", loginErr(err, "the provider did not accept the sign-in code (it may have expired or been used already); please sign in again")
		}
		return nil, "", "", loginErr(err, "the single sign-on provider cannot be reached right now; please try again in a moment")
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, "", "", loginErr(errors.New("token response without id_token"), "the provider did not send an ID token; ask an administrator to check the OIDC client settings")
	}
	idt, err := p.verifier.Verify(o.ctx(ctx), rawID)
	if err != nil {
		return nil, "", "", loginErr(err, "the ID token from the provider is not valid; please sign in again")
	}
	// go-oidc leaves the nonce to the caller: it ties the ID token to the login this browser started.
	if idt.Nonce != login.Nonce {
		return nil, "", "", loginErr(errors.New("ID token nonce does not match the login"), "the ID token from the provider does not belong to this sign-in (nonce mismatch); please sign in again")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, "", "", loginErr(err, "the ID token from the provider cannot be read")
	}
	if o.missingClaims(claims) {
		info, err := p.prov.UserInfo(o.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			o.log.Warn("OIDC userinfo failed; using the ID token claims only", "err", err)
		} else if info.Subject != idt.Subject {
			return nil, "", "", loginErr(fmt.Errorf("userinfo sub %q != ID token sub %q", info.Subject, idt.Subject), "the provider answered for a different user; please sign in again")
		} else {
			extra := map[string]any{}
			if err := info.Claims(&extra); err == nil {
				for k, v := range extra {
					if _, ok := claims[k]; !ok {
						claims[k] = v
					}
				}
			}
		}
	}
	u, err := o.account(ctx, idt.Issuer, idt.Subject, claims)
	if errors.Is(err, store.ErrConflict) {
		// A first login in two tabs at once: the other one created the account; resolve again.
		u, err = o.account(ctx, idt.Issuer, idt.Subject, claims)
	}
	if err != nil {
		return nil, "", "", err
	}
	// The groups are kept as the provider gives them at each login, for apps (X-Kiosc-Groups).
	v, _ := claim(claims, o.cfg.GroupsClaim)
	if gs := groups(v); !slices.Equal(gs, u.Groups) {
		if err := o.svc.store.SetUserGroups(ctx, u.ID, gs); err != nil {
			return nil, "", "", err
		}
		u.Groups = gs
	}
	se, cookie, err := o.svc.StartSession(ctx, u, "oidc", rawID, addr, userAgent)
	if err != nil {
		return nil, "", "", err
	}
	o.log.Info("login", "username", u.Username, "method", "oidc", "addr", addr, "superuser", u.IsSuperuser)
	return NewIdentity(u, se, nil), cookie, login.NextPath, nil
}

// missingClaims reports whether claims lack something kiosc reads (some providers put them only in userinfo).
func (o *OIDC) missingClaims(c map[string]any) bool {
	for _, k := range []string{o.cfg.UsernameClaim, "name", "email"} {
		if _, ok := claim(c, k); !ok {
			return true
		}
	}
	if len(o.cfg.SuperuserGroups) > 0 {
		if _, ok := claim(c, o.cfg.GroupsClaim); !ok {
			return true
		}
	}
	return false
}

// claim looks a claim up by name or, failing that, by a dotted path into nested objects (Keycloak's
// "realm_access.roles", for example).
func claim(c map[string]any, k string) (any, bool) {
	if v, ok := c[k]; ok {
		return v, true
	}
	var cur any = c
	for _, part := range strings.Split(k, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func claimString(c map[string]any, k string) string {
	v, _ := claim(c, k)
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// groups reads a groups claim given as a list or as one space- or comma-separated string.
func groups(v any) []string {
	switch g := v.(type) {
	case []any:
		out := make([]string, 0, len(g))
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return g
	case string:
		return strings.FieldsFunc(g, func(r rune) bool { return r == ',' || r == ' ' })
	}
	return nil
}

// account finds or creates the kiosc account for a provider identity: first by (issuer, sub); else by username, binding
// the sub to an account that has none yet (created by SODAR sync or an administrator for single sign-on), never to a
// local password account and never replacing another sub.
func (o *OIDC) account(ctx context.Context, issuer, sub string, claims map[string]any) (*store.User, error) {
	st := o.svc.store
	username := claimString(claims, o.cfg.UsernameClaim)
	name, email := claimString(claims, "name"), claimString(claims, "email")
	if name == "" {
		name = strings.TrimSpace(claimString(claims, "given_name") + " " + claimString(claims, "family_name"))
	}
	superuser := false
	if len(o.cfg.SuperuserGroups) > 0 {
		v, _ := claim(claims, o.cfg.GroupsClaim)
		for _, g := range groups(v) {
			if slices.Contains(o.cfg.SuperuserGroups, g) {
				superuser = true
			}
		}
	}
	u, err := st.GetUserByOIDC(ctx, issuer, sub)
	switch {
	case err == nil:
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	case username == "":
		return nil, loginErr(fmt.Errorf("claim %q missing", o.cfg.UsernameClaim), "the provider did not send a username (claim %s); ask an administrator to check KIOSC_OIDC_USERNAME_CLAIM", o.cfg.UsernameClaim)
	case !validUsername.MatchString(username) || username == store.SystemUser:
		return nil, loginErr(fmt.Errorf("username %q from claim %q", username, o.cfg.UsernameClaim), "the username %q from the provider is not valid in kiosc", username)
	default:
		u, err = st.GetUserByUsername(ctx, username)
		switch {
		case errors.Is(err, store.ErrNotFound):
			u = &store.User{Username: username, Name: name, Email: email, IsSuperuser: superuser, IsActive: true,
				Source: store.SourceOIDC, OIDCIssuer: issuer, OIDCSubject: sub}
			if err := st.CreateUser(ctx, u); err != nil {
				return nil, err
			}
			o.record(ctx, u.Username, "user_create", fmt.Sprintf("account %s created at first single sign-on", u.Username), u,
				map[string]any{"source": store.SourceOIDC, "is_superuser": superuser})
			return u, nil
		case err != nil:
			return nil, err
		case u.OIDCSubject != "":
			return nil, loginErr(fmt.Errorf("account %s is bound to sub %q at %s, login has sub %q", username, u.OIDCSubject, u.OIDCIssuer, sub),
				"the account %s is bound to a different identity at the provider; ask an administrator", username)
		case u.Source == store.SourceLocal && u.PasswordHash != "":
			return nil, loginErr(fmt.Errorf("local account %s has a password", username),
				"a local account named %s already exists in kiosc and cannot be taken over by single sign-on; ask an administrator", username)
		}
		if !u.IsActive {
			return nil, loginErr(ErrInactive, "the account %s is disabled; ask an administrator", u.Username)
		}
		u.OIDCIssuer, u.OIDCSubject = issuer, sub
		o.record(ctx, u.Username, "login_oidc_bind", fmt.Sprintf("single sign-on identity bound to account %s", u.Username), u,
			map[string]any{"issuer": issuer, "source": u.Source})
	}
	if !u.IsActive {
		return nil, loginErr(ErrInactive, "the account %s is disabled; ask an administrator", u.Username)
	}
	// Name and e-mail follow the provider, except for accounts whose profile the SODAR sync manages.
	if u.Source != store.SourceSodar {
		if name != "" {
			u.Name = name
		}
		if email != "" {
			u.Email = email
		}
	}
	if len(o.cfg.SuperuserGroups) > 0 && u.IsSuperuser != superuser {
		o.record(ctx, u.Username, "user_update", fmt.Sprintf("superuser flag of %s set to %v from the provider's groups", u.Username, superuser), u,
			map[string]any{"is_superuser": superuser})
		u.IsSuperuser = superuser
	}
	if err := st.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

func (o *OIDC) record(ctx context.Context, actor, event, desc string, u *store.User, extra map[string]any) {
	if o.timeline == nil {
		return
	}
	if extra == nil {
		extra = map[string]any{}
	}
	extra["username"] = u.Username
	o.timeline.Record(ctx, &store.TimelineEvent{Username: actor, EventName: event, Description: desc, ObjectType: "user",
		ObjectUUID: u.Username, ExtraData: extra})
}

// LogoutURL returns the provider's end-session URL for an ID token (RP-initiated logout), or "" when the provider
// advertises none or cannot be reached (after a restart, discovery may not have happened yet).
func (o *OIDC) LogoutURL(idTokenHint string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := o.discover(ctx)
	if err != nil {
		o.log.Warn("OIDC provider not reachable at logout; only the kiosc session ended", "err", err)
		return ""
	}
	if p.endSess == "" {
		return ""
	}
	u, err := url.Parse(p.endSess)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("id_token_hint", idTokenHint)
	q.Set("client_id", o.cfg.ClientID)
	if o.cfg.PostLogoutURL != "" {
		q.Set("post_logout_redirect_uri", o.cfg.PostLogoutURL)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
