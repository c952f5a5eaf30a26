package sodar_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/sodar/sodartest"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/testbed/testop/oidcop"
)

const oidcRedirect = "http://kiosc.test/auth/oidc/callback"

// startProvider runs a real OpenID Provider whose users have the usernames SODAR synced.
func startProvider(t *testing.T, users []oidcop.User) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	srv := httptest.NewUnstartedServer(oidcop.New(oidcop.Config{Issuer: issuer, ClientID: "kiosc", ClientSecret: "secret",
		RedirectURIs: []string{oidcRedirect}, Users: users}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

// ssoLogin signs in at the provider as a browser would and completes the login in kiosc.
func ssoLogin(t *testing.T, o *auth.OIDC, username, password string) (*auth.Identity, error) {
	t.Helper()
	authURL, browser, err := o.Begin(context.Background(), "/")
	if err != nil {
		t.Fatal(err)
	}
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
	id := res.Request.URL.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("no login form at %s", res.Request.URL)
	}
	res, err = client.PostForm(res.Request.URL.ResolveReference(&url.URL{Path: oidcop.LoginPath}).String(),
		url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if callback == nil {
		t.Fatalf("the provider did not return to kiosc (status %d)", res.StatusCode)
	}
	q := callback.Query()
	ident, _, _, err := o.Finish(context.Background(), auth.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")},
		browser, "127.0.0.1", "test")
	return ident, err
}

// A user the sync created who then signs in by OIDC is the same account (the sub is bound to it) and sees exactly
// the projects and roles SODAR gave them; later syncs keep applying to that account.
func TestSyncedUserSignsInByOIDC(t *testing.T) {
	e := newEnv(t)
	issuer := startProvider(t, []oidcop.User{
		{ID: "sub-bob", Username: "bob.jones@example.org", Password: "bob-pw", GivenName: "Robert", FamilyName: "J", Email: "rj@idp.example.org"},
		{ID: "sub-carol", Username: "carol.white", Password: "carol-pw", GivenName: "Carol", FamilyName: "White", Email: "carol.white@example.org"},
	})
	keys, err := secrets.New([]byte("test key test key test key test key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := auth.NewService(e.st, keys, log, auth.Options{LocalLogin: true})
	o := auth.NewOIDC(auth.OIDCConfig{Issuer: issuer, ClientID: "kiosc", ClientSecret: "secret", RedirectURL: oidcRedirect}, svc, nil, log)

	e.sync(t)
	synced := e.user(t, "bob.jones@example.org")
	_, usersBefore, _ := e.st.ListUsers(context.Background(), store.UserFilter{})

	id, err := ssoLogin(t, o, "bob.jones@example.org", "bob-pw")
	if err != nil {
		t.Fatal(err)
	}
	if id.User.ID != synced.ID || id.User.Username != "bob.jones@example.org" {
		t.Fatalf("signed in as %+v, want the synced account %d", id.User, synced.ID)
	}
	bound := e.user(t, "bob.jones@example.org")
	if bound.OIDCSubject != "sub-bob" || bound.OIDCIssuer != issuer || bound.Source != store.SourceSodar || bound.Name != "Bob Jones" {
		t.Fatalf("after login %+v", bound)
	}
	if _, n, _ := e.st.ListUsers(context.Background(), store.UserFilter{}); n != usersBefore {
		t.Fatalf("%d users after login, %d before: a duplicate account was created", n, usersBefore)
	}
	checkVisible(t, e, "bob.jones@example.org", map[string]string{genomics: "finder", rareDiseases: "", exome: "delegate"})

	// A second login finds the account by its sub.
	again, err := ssoLogin(t, o, "bob.jones@example.org", "bob-pw")
	if err != nil || again.User.ID != synced.ID {
		t.Fatalf("second login %v %v", again, err)
	}

	// SODAR removes bob from the project: after the next sync he no longer sees it.
	ex := map[string]any{}
	if err := json.Unmarshal(sodartest.Example(t, "2.1"), &ex); err != nil {
		t.Fatal(err)
	}
	delete(ex["projects"].(map[string]any)[exome].(map[string]any)["roles"].(map[string]any), "22222222-aaaa-4bbb-8ccc-000000000002")
	e.src.SetJSON(ex)
	run := e.sync(t)
	if run.Counts["role"].Removed != 1 {
		t.Fatalf("role counts %+v %+v", run.Counts["role"], run.Messages)
	}
	checkVisible(t, e, "bob.jones@example.org", map[string]string{genomics: "finder", rareDiseases: "finder"})
	if u := e.user(t, "bob.jones@example.org"); u.OIDCSubject != "sub-bob" {
		t.Fatal("sync dropped the OIDC binding")
	}

	// carol is inactive in SODAR (sync 2.1): single sign-on refuses her.
	if _, err := ssoLogin(t, o, "carol.white", "carol-pw"); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("inactive synced user signed in: %v", err)
	}
}
