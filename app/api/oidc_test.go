package api_test

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/testbed/testop/oidcop"
	"github.com/bihealth/kiosc/app/timeline"
	"github.com/bihealth/kiosc/app/web"
)

func TestOIDCEndpoints(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	op := httptest.NewUnstartedServer(oidcop.New(oidcop.Config{Issuer: issuer, ClientID: "kiosc", ClientSecret: "s",
		RedirectURIs: []string{"http://kiosc.test/auth/oidc/callback"}, PostLogoutURIs: []string{"http://kiosc.test/login"},
		Users: []oidcop.User{{ID: "sub-zoe", Username: "zoe", Password: "zoe-pw", GivenName: "Zoe", Email: "zoe@example.org", Groups: []string{"admins"}}}}))
	op.Listener.Close()
	op.Listener = ln
	op.Start()
	defer op.Close()

	e := apitest.New(t, apitest.Options{Root: func(e *apitest.Env) []server.Module {
		sso := auth.NewOIDC(auth.OIDCConfig{Issuer: issuer, ClientID: "kiosc", ClientSecret: "s", RedirectURL: "http://kiosc.test/auth/oidc/callback",
			PostLogoutURL: "http://kiosc.test/login", SuperuserGroups: []string{"admins"}}, e.Auth, &timeline.Recorder{Store: e.Store, Bus: e.Bus, Log: e.Log}, e.Log)
		return []server.Module{&api.OIDCLogin{OIDC: sso, Auth: e.Auth, Sessions: &api.Sessions{Auth: e.Auth}, Log: e.Log}}
	}})

	res := e.Send(httptest.NewRequest("GET", "/auth/oidc/login?next=/projects/abc", nil))
	if res.StatusCode != 302 || !strings.HasPrefix(res.Header.Get("Location"), issuer) {
		t.Fatalf("login: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var browser *http.Cookie
	for _, c := range res.Cookies {
		if c.Name == "kiosc_oidc" {
			browser = c
		}
	}
	if browser == nil || !browser.HttpOnly {
		t.Fatalf("no HttpOnly browser cookie: %v", res.Cookies)
	}

	// The browser at the provider.
	jar, _ := cookiejar.New(nil)
	var callback *url.URL
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host == "kiosc.test" {
			callback = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	r, err := client.Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	r, err = client.PostForm(issuer+oidcop.LoginPath, url.Values{"id": {r.Request.URL.Query().Get("authRequestID")}, "username": {"zoe"}, "password": {"zoe-pw"}})
	if err != nil || callback == nil {
		t.Fatalf("provider login: %v", err)
	}
	r.Body.Close()

	t.Run("without the browser cookie", func(t *testing.T) {
		res := e.Send(httptest.NewRequest("GET", callback.RequestURI(), nil))
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != 302 || loc.Path != "/login" || !strings.Contains(loc.Query().Get("error"), "another browser") {
			t.Fatalf("callback: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("replayed after a failure", func(t *testing.T) {
		req := httptest.NewRequest("GET", callback.RequestURI(), nil)
		req.AddCookie(browser)
		res := e.Send(req)
		loc, _ := url.Parse(res.Header.Get("Location"))
		if loc.Path != "/login" || !strings.Contains(loc.Query().Get("error"), "already used") {
			t.Fatalf("callback: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})

	// A fresh login completes and lands on next with a session.
	res = e.Send(httptest.NewRequest("GET", "/auth/oidc/login?next=//evil.example/x", nil))
	for _, c := range res.Cookies {
		if c.Name == "kiosc_oidc" {
			browser = c
		}
	}
	callback = nil
	r, _ = client.Get(res.Header.Get("Location"))
	r.Body.Close()
	r, _ = client.PostForm(issuer+oidcop.LoginPath, url.Values{"id": {r.Request.URL.Query().Get("authRequestID")}, "username": {"zoe"}, "password": {"zoe-pw"}})
	r.Body.Close()
	req := httptest.NewRequest("GET", callback.RequestURI(), nil)
	req.AddCookie(browser)
	res = e.Send(req)
	if res.StatusCode != 302 || res.Header.Get("Location") != "/" {
		t.Fatalf("callback: %d %q (an open redirect must fall back to /)", res.StatusCode, res.Header.Get("Location"))
	}
	sess := e.Anonymous()
	for _, c := range res.Cookies {
		if c.Name == web.SessionCookie {
			sess.Cookie = c.Value
		}
	}
	me := sess.Do("GET", "/api/v1/me", nil)
	user, _ := me.JSON["user"].(map[string]any)
	if me.StatusCode != 200 || user["username"] != "zoe" || user["is_superuser"] != true || user["source"] != "oidc" {
		t.Fatalf("me: %s", me.Body)
	}
}
