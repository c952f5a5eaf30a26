package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
	"github.com/bihealth/kiosc/app/testbed/testop/oidcop"
)

const (
	redirectURL   = "http://kiosc.test/auth/oidc/callback"
	postLogoutURL = "http://kiosc.test/login"
)

var opUsers = []oidcop.User{
	{ID: "sub-alice", Username: "alice", Password: "alice-pw", GivenName: "Alice", FamilyName: "Admin", Email: "alice@example.org", Groups: []string{"kiosc-admins", "staff"}},
	{ID: "sub-bob", Username: "bob", Password: "bob-pw", GivenName: "Bob", FamilyName: "Builder", Email: "bob@example.org", Groups: []string{"staff"}},
}

// startOP runs the provider on ln (a fresh listener when nil) and returns its issuer and server.
func startOP(t *testing.T, ln net.Listener) (string, *httptest.Server) {
	t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	issuer := "http://" + ln.Addr().String()
	srv := httptest.NewUnstartedServer(oidcop.New(oidcop.Config{Issuer: issuer, ClientID: "kiosc", ClientSecret: "secret",
		RedirectURIs: []string{redirectURL}, PostLogoutURIs: []string{postLogoutURL}, Users: opUsers}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer, srv
}

type timeline struct {
	mu     sync.Mutex
	events []*store.TimelineEvent
}

func (tl *timeline) Record(_ context.Context, e *store.TimelineEvent) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.events = append(tl.events, e)
}

func (tl *timeline) names() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var out []string
	for _, e := range tl.events {
		out = append(out, e.EventName)
	}
	return out
}

type env struct {
	st   *store.Store
	svc  *auth.Service
	oidc *auth.OIDC
	tl   *timeline
}

func newEnv(t *testing.T, issuer string) *env {
	t.Helper()
	st := storetest.New(t)
	keys, err := secrets.New([]byte("test key test key test key test key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := auth.NewService(st, keys, log, auth.Options{LocalLogin: true})
	tl := &timeline{}
	o := auth.NewOIDC(auth.OIDCConfig{Issuer: issuer, ClientID: "kiosc", ClientSecret: "secret", RedirectURL: redirectURL,
		PostLogoutURL: postLogoutURL, SuperuserGroups: []string{"kiosc-admins"}}, svc, tl, log)
	return &env{st: st, svc: svc, oidc: o, tl: tl}
}

// browse plays the browser at the provider: it follows authURL to the login form, submits it and returns the
// query kiosc's callback would receive.
func browse(t *testing.T, authURL, username, password string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var callback *url.URL
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "kiosc.test" {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if callback != nil { // an error answered at once
		return callback.Query()
	}
	id := res.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("no login form at %s (status %d)", res.Request.URL, res.StatusCode)
	}
	loginURL := res.Request.URL.ResolveReference(&url.URL{Path: oidcop.LoginPath})
	res, err = client.PostForm(loginURL.String(), url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if callback == nil {
		t.Fatalf("login at the provider did not return to kiosc (status %d at %s)", res.StatusCode, res.Request.URL)
	}
	return callback.Query()
}

func cb(q url.Values) auth.Callback {
	return auth.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
}

// login runs a whole login and returns Finish's result.
func (e *env) login(t *testing.T, username, password string) (*auth.Identity, error) {
	t.Helper()
	authURL, browser, err := e.oidc.Begin(context.Background(), "/projects")
	if err != nil {
		t.Fatal(err)
	}
	id, _, _, err := e.oidc.Finish(context.Background(), cb(browse(t, authURL, username, password)), browser, "127.0.0.1", "test")
	return id, err
}

func wantLoginError(t *testing.T, err error, contains string) {
	t.Helper()
	var le *auth.LoginError
	if !errors.As(err, &le) {
		t.Fatalf("want a login error containing %q, got %v", contains, err)
	}
	if !strings.Contains(le.Message, contains) {
		t.Fatalf("message %q does not contain %q (cause %v)", le.Message, contains, le.Cause)
	}
}

func TestOIDCHappyPath(t *testing.T) {
	issuer, _ := startOP(t, nil)
	e := newEnv(t, issuer)
	authURL, browser, err := e.oidc.Begin(context.Background(), "/projects/x")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.Parse(authURL)
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Query().Get(k) == "" {
			t.Errorf("authorization URL lacks %s: %s", k, authURL)
		}
	}
	if q.Query().Get("code_challenge_method") != "S256" {
		t.Errorf("PKCE method %q", q.Query().Get("code_challenge_method"))
	}
	id, cookie, next, err := e.oidc.Finish(context.Background(), cb(browse(t, authURL, "alice", "alice-pw")), browser, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	u := id.User
	if u.Username != "alice" || u.Name != "Alice Admin" || u.Email != "alice@example.org" || !u.IsSuperuser || u.Source != store.SourceOIDC ||
		u.OIDCSubject != "sub-alice" || u.OIDCIssuer != issuer {
		t.Errorf("user %+v", u)
	}
	if next != "/projects/x" || cookie == "" || id.Session.AuthMethod != "oidc" {
		t.Errorf("next %q cookie %q method %q", next, cookie, id.Session.AuthMethod)
	}
	if got, err := e.svc.SessionIdentity(context.Background(), cookie); err != nil || got.User.Username != "alice" {
		t.Fatalf("session: %v", err)
	}
	// The second login finds the account by its sub.
	id2, err := e.login(t, "alice", "alice-pw")
	if err != nil || id2.User.ID != u.ID {
		t.Fatalf("second login: %v", err)
	}
	if names := e.tl.names(); len(names) != 1 || names[0] != "user_create" {
		t.Errorf("timeline %v", names)
	}

	t.Run("end session", func(t *testing.T) {
		idToken, err := e.svc.Logout(context.Background(), id)
		if err != nil || idToken == "" {
			t.Fatalf("logout: %q %v", idToken, err)
		}
		lu := e.oidc.LogoutURL(idToken)
		p, _ := url.Parse(lu)
		if !strings.HasPrefix(lu, issuer) || p.Query().Get("id_token_hint") != idToken || p.Query().Get("post_logout_redirect_uri") != postLogoutURL {
			t.Fatalf("logout URL %s", lu)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Get(lu)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, postLogoutURL) {
			t.Fatalf("provider logout answered %d to %q", res.StatusCode, loc)
		}
		if _, err := e.svc.SessionIdentity(context.Background(), cookie); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session still valid: %v", err)
		}
	})
}

func TestOIDCRefusals(t *testing.T) {
	issuer, _ := startOP(t, nil)
	ctx := context.Background()

	t.Run("wrong nonce", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("nonce", "someone-elses-nonce")
		u.RawQuery = q.Encode()
		_, _, _, err := e.oidc.Finish(ctx, cb(browse(t, u.String(), "alice", "alice-pw")), browser, "", "")
		wantLoginError(t, err, "nonce mismatch")
	})
	t.Run("tampered state", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		c := cb(browse(t, authURL, "alice", "alice-pw"))
		c.State += "x"
		_, _, _, err := e.oidc.Finish(ctx, c, browser, "", "")
		wantLoginError(t, err, "invalid or was already used")
	})
	t.Run("replayed callback", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		c := cb(browse(t, authURL, "alice", "alice-pw"))
		if _, _, _, err := e.oidc.Finish(ctx, c, browser, "", ""); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := e.oidc.Finish(ctx, c, browser, "", "")
		wantLoginError(t, err, "invalid or was already used")
	})
	t.Run("other browser", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, _, _ := e.oidc.Begin(ctx, "/")
		_, _, _, err := e.oidc.Finish(ctx, cb(browse(t, authURL, "alice", "alice-pw")), "another-browser", "", "")
		wantLoginError(t, err, "another browser")
	})
	t.Run("invalid code", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		c := cb(browse(t, authURL, "alice", "alice-pw"))
		c.Code = "expired-or-forged"
		_, _, _, err := e.oidc.Finish(ctx, c, browser, "", "")
		wantLoginError(t, err, "did not accept the sign-in code")
	})
	t.Run("PKCE verifier enforced", func(t *testing.T) {
		// The browser is sent with another code challenge: kiosc's verifier no longer matches, so the provider
		// refuses the code.
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		u, _ := url.Parse(authURL)
		q := u.Query()
		q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
		u.RawQuery = q.Encode()
		_, _, _, err := e.oidc.Finish(ctx, cb(browse(t, u.String(), "alice", "alice-pw")), browser, "", "")
		wantLoginError(t, err, "did not accept the sign-in code")
	})
	t.Run("denied consent", func(t *testing.T) {
		e := newEnv(t, issuer)
		authURL, browser, _ := e.oidc.Begin(ctx, "/")
		u, _ := url.Parse(authURL)
		_, _, _, err := e.oidc.Finish(ctx, auth.Callback{State: u.Query().Get("state"), Error: "access_denied", ErrorDescription: "user said no"}, browser, "", "")
		wantLoginError(t, err, "cancelled or denied")
	})
	t.Run("sub mismatch", func(t *testing.T) {
		e := newEnv(t, issuer)
		if err := e.st.CreateUser(ctx, &store.User{Username: "alice", Source: store.SourceOIDC, IsActive: true, OIDCIssuer: issuer, OIDCSubject: "an-older-alice"}); err != nil {
			t.Fatal(err)
		}
		_, err := e.login(t, "alice", "alice-pw")
		wantLoginError(t, err, "the account alice is bound to a different identity at the provider; ask an administrator")
	})
	t.Run("local account takeover", func(t *testing.T) {
		e := newEnv(t, issuer)
		hash, _ := auth.HashPassword("local-password")
		if err := e.st.CreateUser(ctx, &store.User{Username: "alice", Source: store.SourceLocal, IsActive: true, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		_, err := e.login(t, "alice", "alice-pw")
		wantLoginError(t, err, "local account named alice already exists")
		u, _ := e.st.GetUserByUsername(ctx, "alice")
		if u.OIDCSubject != "" {
			t.Error("sub bound to a local account")
		}
	})
	t.Run("disabled account", func(t *testing.T) {
		e := newEnv(t, issuer)
		if _, err := e.login(t, "bob", "bob-pw"); err != nil {
			t.Fatal(err)
		}
		u, _ := e.st.GetUserByUsername(ctx, "bob")
		u.IsActive = false
		if err := e.st.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		_, err := e.login(t, "bob", "bob-pw")
		wantLoginError(t, err, "disabled")
	})
}

func TestOIDCBindsSodarAccountAndGroups(t *testing.T) {
	issuer, _ := startOP(t, nil)
	e := newEnv(t, issuer)
	ctx := context.Background()
	// bob was created by the SODAR sync (no sub yet) and was made superuser by hand.
	sodar := &store.User{Username: "bob", Name: "Robert (SODAR)", Email: "bob@sodar.example", Source: store.SourceSodar, IsActive: true, IsSuperuser: true, SodarUUID: "b0b"}
	if err := e.st.CreateUser(ctx, sodar); err != nil {
		t.Fatal(err)
	}
	id, err := e.login(t, "bob", "bob-pw")
	if err != nil {
		t.Fatal(err)
	}
	u := id.User
	if u.ID != sodar.ID || u.OIDCSubject != "sub-bob" || u.Source != store.SourceSodar || u.Name != "Robert (SODAR)" {
		t.Errorf("bound user %+v", u)
	}
	if u.IsSuperuser {
		t.Error("superuser flag not taken from the groups (bob is not in kiosc-admins)")
	}
	names := e.tl.names()
	if len(names) != 2 || names[0] != "login_oidc_bind" || names[1] != "user_update" {
		t.Errorf("timeline %v", names)
	}
	// A second login finds the account by sub; no duplicate.
	if _, err := e.login(t, "bob", "bob-pw"); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := e.st.ListUsers(ctx, store.UserFilter{}); total != 1 {
		t.Errorf("%d users, want 1", total)
	}
}

func TestOIDCProviderUnreachable(t *testing.T) {
	ctx := context.Background()
	t.Run("down at start, recovers", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		e := newEnv(t, "http://"+addr)
		e.oidc.Warm(ctx)
		_, _, err = e.oidc.Begin(ctx, "/")
		wantLoginError(t, err, "cannot be reached")
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("port %s taken meanwhile: %v", addr, err)
		}
		startOP(t, ln)
		if _, err := e.login(t, "alice", "alice-pw"); err != nil {
			t.Fatalf("after the provider came up: %v", err)
		}
	})
	t.Run("down at callback", func(t *testing.T) {
		issuer, srv := startOP(t, nil)
		e := newEnv(t, issuer)
		authURL, browser, err := e.oidc.Begin(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		c := cb(browse(t, authURL, "alice", "alice-pw"))
		srv.CloseClientConnections()
		srv.Close()
		_, _, _, err = e.oidc.Finish(ctx, c, browser, "", "")
		wantLoginError(t, err, "cannot be reached")
	})
}

// TestOIDCIssuerSpelling accepts the provider's issuer when the configured one differs only by a trailing slash.
func TestOIDCIssuerSpelling(t *testing.T) {
	issuer, _ := startOP(t, nil)
	e := newEnv(t, issuer+"/")
	id, err := e.login(t, "alice", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	if id.User.OIDCIssuer != issuer {
		t.Errorf("bound to issuer %q, want the provider's %q", id.User.OIDCIssuer, issuer)
	}
}

// TestOIDCConcurrentFirstLogin finishes two first logins of the same person at once: one account, two sessions.
func TestOIDCConcurrentFirstLogin(t *testing.T) {
	issuer, _ := startOP(t, nil)
	e := newEnv(t, issuer)
	ctx := context.Background()
	type pending struct {
		cb      auth.Callback
		browser string
	}
	var logins []pending
	for range 2 {
		authURL, browser, err := e.oidc.Begin(ctx, "/")
		if err != nil {
			t.Fatal(err)
		}
		logins = append(logins, pending{cb(browse(t, authURL, "bob", "bob-pw")), browser})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(logins))
	for i, l := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _, errs[i] = e.oidc.Finish(ctx, l.cb, l.browser, "", "")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("login: %v", err)
		}
	}
	if _, total, _ := e.st.ListUsers(ctx, store.UserFilter{}); total != 1 {
		t.Errorf("%d accounts, want 1", total)
	}
}
