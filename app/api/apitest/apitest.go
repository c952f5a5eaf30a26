// Package apitest builds an in-process kiosc server with a real SQLite store for handler tests, and small helpers
// to call it with app.Test.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"testing/fstest"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/store/storetest"
	"github.com/bihealth/kiosc/app/web"
)

// Env is a test server with its parts.
type Env struct {
	T       testing.TB
	Store   *store.Store
	Auth    *auth.Service
	Bus     *events.Bus
	Checker *access.Checker
	Keys    *secrets.Keys
	Log     *slog.Logger
	Server  *server.Server
	BaseURL *url.URL
	secure  bool
}

// SessionCookie is the name of the session cookie (__Host- under https).
func (e *Env) SessionCookie() string { return web.SessionCookieName(e.secure) }

// Options adjust the test server.
type Options struct {
	Auth          auth.Options
	SecureCookies bool
	Ready         map[string]server.Pinger
	// TrustedProxies as KIOSC_TRUSTED_PROXIES; requests sent with app.Test come from 0.0.0.0.
	TrustedProxies []netip.Prefix
	// API and Root modules beyond the session endpoints; they may be built from the Env.
	API  func(e *Env) []server.Module
	Root func(e *Env) []server.Module
}

// New builds a server with a fresh store, the bootstrap admin (password "admin-password") and the session
// endpoints, plus the given modules.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	st := storetest.New(t)
	keys, err := secrets.New([]byte("test key test key test key test key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if !o.Auth.LocalLogin && o.Auth.BreakGlassUser == "" {
		o.Auth.LocalLogin = true
	}
	e := &Env{T: t, Store: st, Keys: keys, Log: log, Bus: events.New(nil), Checker: access.NewChecker(st),
		BaseURL: &url.URL{Scheme: "http", Host: "kiosc.test"}, secure: o.SecureCookies}
	if o.SecureCookies {
		e.BaseURL.Scheme = "https"
	}
	e.Auth = auth.NewService(st, keys, log, o.Auth)
	if err := auth.EnsureAdmin(context.Background(), st, "admin-password", log); err != nil {
		t.Fatal(err)
	}
	mods := []server.Module{&api.Sessions{Auth: e.Auth, Version: "test", SecureCookies: o.SecureCookies}}
	if o.API != nil {
		mods = append(mods, o.API(e)...)
	}
	var root []server.Module
	if o.Root != nil {
		root = o.Root(e)
	}
	ready := o.Ready
	if ready == nil {
		ready = map[string]server.Pinger{"database": st.Ping}
	}
	e.Server = server.New(server.Deps{BaseURL: e.BaseURL, Log: log, Auth: e.Auth, Metrics: metrics.New("test", nil), SPA: fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>kiosc</title>")},
		"assets/app-1a2b.js": {Data: []byte("console.log(1)")},
	}, Ready: ready, API: mods, Root: root, TrustedProxies: o.TrustedProxies})
	return e
}

// Client is a logged-in (or anonymous) caller with its cookie and CSRF token, or API token.
type Client struct {
	env    *Env
	Cookie string
	CSRF   string
	Token  string
}

// Anonymous returns a client without credentials.
func (e *Env) Anonymous() *Client { return &Client{env: e} }

// User creates a local user (superuser or not) with password "password-123" and returns a logged-in client.
func (e *Env) User(username string, superuser bool) *Client {
	e.T.Helper()
	hash, _ := auth.HashPassword("password-123")
	u := &store.User{Username: username, Name: username, IsSuperuser: superuser, IsActive: true, Source: store.SourceLocal, PasswordHash: hash}
	if err := e.Store.CreateUser(context.Background(), u); err != nil {
		e.T.Fatal(err)
	}
	return e.Login(username, "password-123")
}

// Login logs in through the API and returns the client.
func (e *Env) Login(username, password string) *Client {
	e.T.Helper()
	c := &Client{env: e}
	res := c.Do("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if res.StatusCode != 200 {
		e.T.Fatalf("login %s: %d %s", username, res.StatusCode, res.Body)
	}
	for _, ck := range res.Cookies {
		if ck.Name == e.SessionCookie() {
			c.Cookie = ck.Value
		}
	}
	c.CSRF, _ = res.JSON["csrf_token"].(string)
	return c
}

// Response is a decoded answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Cookies    []*http.Cookie
	Body       string
	JSON       map[string]any
}

// Do sends a request with the client's credentials; body (if not nil) is sent as JSON.
func (c *Client) Do(method, path string, body any) *Response {
	c.env.T.Helper()
	var r io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			r = bytes.NewBufferString(s)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.env.SessionCookie(), Value: c.Cookie})
		if c.CSRF != "" {
			req.Header.Set(web.CSRFHeader, c.CSRF)
		}
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Token "+c.Token)
	}
	return c.env.Send(req)
}

// Send runs a raw request through the server.
func (e *Env) Send(req *http.Request) *Response {
	e.T.Helper()
	res, err := e.Server.App().Test(req, -1)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := &Response{StatusCode: res.StatusCode, Header: res.Header, Cookies: res.Cookies(), Body: string(b)}
	_ = json.Unmarshal(b, &out.JSON)
	return out
}

// ErrorCode returns error.code of an error answer.
func (r *Response) ErrorCode() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}
