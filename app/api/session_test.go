package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

func TestLoginMeLogout(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	anon := e.Anonymous()
	if r := anon.Do("GET", "/api/v1/me", nil); r.StatusCode != 401 || r.ErrorCode() != "unauthorized" {
		t.Fatalf("anonymous /me: %d %s", r.StatusCode, r.Body)
	}
	r := anon.Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-password"})
	if r.StatusCode != 200 || r.JSON["csrf_token"] == "" {
		t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	var cookie *http.Cookie
	for _, c := range r.Cookies {
		if c.Name == web.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie attributes: %+v", cookie)
	}
	admin := e.Login("admin", "admin-password")
	me := admin.Do("GET", "/api/v1/me", nil)
	user, _ := me.JSON["user"].(map[string]any)
	if me.StatusCode != 200 || user["username"] != "admin" || user["is_superuser"] != true || me.JSON["csrf_token"] != admin.CSRF {
		t.Fatalf("/me: %d %s", me.StatusCode, me.Body)
	}
	if strings.Contains(me.Body, "argon2") || strings.Contains(me.Body, "password_hash") {
		t.Fatal("password hash leaked")
	}
	noCSRF := *admin
	noCSRF.CSRF = ""
	if r := noCSRF.Do("POST", "/api/v1/auth/logout", nil); r.StatusCode != 403 || r.ErrorCode() != "csrf_failed" {
		t.Fatalf("logout without CSRF: %d %s", r.StatusCode, r.Body)
	}
	if r := admin.Do("POST", "/api/v1/auth/logout", nil); r.StatusCode != 200 {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
	}
	if r := admin.Do("GET", "/api/v1/me", nil); r.StatusCode != 401 {
		t.Fatalf("session survived logout: %d", r.StatusCode)
	}
}

func TestLoginErrors(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	anon := e.Anonymous()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"missing fields", map[string]string{}, 400, "validation_failed", "username"},
		{"unknown field", `{"username":"a","password":"b","remember":true}`, 400, "validation_failed", "remember"},
		{"wrong type", `{"username":1,"password":"b"}`, 400, "validation_failed", "username"},
		{"malformed", `{"username":`, 400, "invalid_json", ""},
		{"two values", `{"username":"a","password":"b"}{}`, 400, "invalid_json", ""},
		{"too large", `{"username":"` + strings.Repeat("a", 1<<20) + `","password":"b"}`, 413, "body_too_large", ""},
		{"wrong password", map[string]string{"username": "admin", "password": "nope"}, 401, "invalid_credentials", ""},
		{"unknown user", map[string]string{"username": "ghost", "password": "nope"}, 401, "invalid_credentials", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.Do("POST", "/api/v1/auth/login", tc.body)
			if r.StatusCode != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s", r.StatusCode, r.Body)
			}
			if tc.field != "" {
				fields, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
				if _, ok := fields[tc.field]; !ok {
					t.Fatalf("error does not name %q: %s", tc.field, r.Body)
				}
			}
		})
	}
}

func TestLoginThrottled(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	anon := e.Anonymous()
	for range 5 {
		anon.Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "wrong"})
	}
	r := anon.Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-password"})
	if r.StatusCode != 429 || r.ErrorCode() != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("throttle: %d %s %v", r.StatusCode, r.Body, r.Header)
	}
}

// loginFrom sends a login through a trusted front proxy (app.Test's peer, 0.0.0.0) that forwards xff.
func loginFrom(e *apitest.Env, xff, username, password string) *apitest.Response {
	e.T.Helper()
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"username":"`+username+`","password":"`+password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	return e.Send(req)
}

func TestLoginThrottlePerAddress(t *testing.T) {
	behindProxy := apitest.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}}

	t.Run("failures from one address do not lock admin out elsewhere", func(t *testing.T) {
		e := apitest.New(t, behindProxy)
		for range 8 {
			loginFrom(e, "203.0.113.9", "admin", "wrong")
		}
		if r := loginFrom(e, "203.0.113.9", "admin", "admin-password"); r.StatusCode != 429 {
			t.Errorf("the guessing address got %d %s", r.StatusCode, r.Body)
		}
		if r := loginFrom(e, "198.51.100.7", "admin", "admin-password"); r.StatusCode != 200 {
			t.Errorf("admin from a clean address: %d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("rotating X-Forwarded-For does not escape the real address", func(t *testing.T) {
		e := apitest.New(t, behindProxy)
		// The attacker writes a new X-Forwarded-For each time; the front proxy appends the address it saw.
		for i := range 8 {
			r := loginFrom(e, fmt.Sprintf("10.66.0.%d, 203.0.113.9", i), "admin", "wrong")
			if i >= 5 && r.StatusCode != 429 {
				t.Errorf("attempt %d: %d %s", i+1, r.StatusCode, r.Body)
			}
		}
		if r := loginFrom(e, "192.0.2.77, 203.0.113.9", "admin", "admin-password"); r.StatusCode != 429 {
			t.Errorf("the attacker's address got %d", r.StatusCode)
		}
		if r := loginFrom(e, "10.66.0.1, 198.51.100.7", "admin", "admin-password"); r.StatusCode != 200 {
			t.Errorf("a clean address whose client wrote a throttled-looking value: %d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("without trusted proxies the header is the client's invention", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{})
		for i := range 5 {
			loginFrom(e, fmt.Sprintf("10.66.0.%d", i), "admin", "wrong")
		}
		if r := loginFrom(e, "198.51.100.7", "admin", "admin-password"); r.StatusCode != 429 {
			t.Errorf("a forged X-Forwarded-For from an untrusted peer escaped the throttle: %d", r.StatusCode)
		}
	})

	t.Run("sessions record the derived address", func(t *testing.T) {
		e := apitest.New(t, behindProxy)
		if r := loginFrom(e, "6.6.6.6, 198.51.100.7", "admin", "admin-password"); r.StatusCode != 200 {
			t.Fatalf("login: %d %s", r.StatusCode, r.Body)
		}
		var ip string
		if err := e.Store.DB().QueryRow(`SELECT ip FROM sessions`).Scan(&ip); err != nil || ip != "198.51.100.7" {
			t.Errorf("session address %q (%v), want 198.51.100.7", ip, err)
		}
	})
}

func TestLocalLoginDisabledExceptBreakGlass(t *testing.T) {
	e := apitest.New(t, apitest.Options{Auth: auth.Options{LocalLogin: false, BreakGlassUser: "admin"}})
	hash, _ := auth.HashPassword("password-123")
	if err := e.Store.CreateUser(context.Background(), &store.User{Username: "alice", IsActive: true, Source: store.SourceLocal, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	r := e.Anonymous().Do("POST", "/api/v1/auth/login", map[string]string{"username": "alice", "password": "password-123"})
	if r.StatusCode != 403 || r.ErrorCode() != "local_login_disabled" {
		t.Fatalf("alice: %d %s", r.StatusCode, r.Body)
	}
	e.Login("admin", "admin-password") // the break-glass account still works
	cfg := e.Anonymous().Do("GET", "/api/v1/config", nil)
	if cfg.JSON["local_login"] != true {
		t.Fatalf("config must still offer the form for the break-glass account: %s", cfg.Body)
	}
}

func TestTokenAuthentication(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	u, _ := e.Store.GetUserByUsername(ctx, "admin")
	_, secret, err := e.Auth.CreateToken(ctx, u, "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"Token", "Bearer", "token"} {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", scheme+" "+secret)
		if r := e.Send(req); r.StatusCode != 200 || r.JSON["csrf_token"] != nil {
			t.Fatalf("%s: %d %s", scheme, r.StatusCode, r.Body)
		}
	}
	// Token-authenticated state changes need no CSRF header.
	req := httptest.NewRequest("POST", "/api/v1/auth/logout", nil)
	req.Header.Set("Authorization", "Token "+secret)
	if r := e.Send(req); r.StatusCode != 200 {
		t.Fatalf("token POST without CSRF: %d %s", r.StatusCode, r.Body)
	}
	req = httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Token kiosc_wrong")
	if r := e.Send(req); r.StatusCode != 401 || r.ErrorCode() != "invalid_token" {
		t.Fatalf("wrong token: %d %s", r.StatusCode, r.Body)
	}
}

func TestSecureCookieUnderHTTPS(t *testing.T) {
	e := apitest.New(t, apitest.Options{SecureCookies: true})
	r := e.Anonymous().Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-password"})
	for _, c := range r.Cookies {
		if c.Name == web.SecureSessionCookie && c.Secure {
			return
		}
	}
	t.Fatalf("no Secure session cookie: %v", r.Header)
}
