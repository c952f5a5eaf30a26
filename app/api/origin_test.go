package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/web"
)

// An app on another port of kiosc's host (or a sibling subdomain) is the same site: its requests carry kiosc's
// SameSite=Lax session cookie. Writes need kiosc's own Origin as well as the CSRF token.
func TestCrossOriginWritesAreRefused(t *testing.T) {
	e := identityEnv(t)
	admin := e.Login("admin", "admin-password")
	send := func(method, path, body string, headers map[string]string, session bool) *apitest.Response {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if session {
			req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: admin.Cookie})
			req.Header.Set(web.CSRFHeader, admin.CSRF)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return e.Send(req)
	}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"the app listener's origin", map[string]string{"Origin": "http://kiosc.test:8081"}, http.StatusForbidden},
		{"a sibling subdomain", map[string]string{"Origin": "http://app.kiosc.test"}, http.StatusForbidden},
		{"an opaque origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"no Origin but a same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"no Origin but a cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"kiosc's own origin", map[string]string{"Origin": "http://kiosc.test"}, http.StatusCreated},
		{"a same-origin fetch without Origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusCreated},
		{"a client that is not a browser", nil, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send("POST", "/api/v1/tokens", `{"name":"t"}`, tc.headers, true)
			if r.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tc.want, r.Body)
			}
			if tc.want == http.StatusForbidden && r.ErrorCode() != "cross_origin" {
				t.Fatalf("code %q", r.ErrorCode())
			}
		})
	}
	t.Run("a login posted by an app's script signs nobody in", func(t *testing.T) {
		r := send("POST", "/api/v1/auth/login", `{"username":"admin","password":"admin-password"}`,
			map[string]string{"Origin": "http://kiosc.test:8081", "Content-Type": "text/plain"}, false)
		if r.StatusCode != http.StatusForbidden || len(r.Cookies) != 0 {
			t.Fatalf("status %d, cookies %v", r.StatusCode, r.Cookies)
		}
	})
	t.Run("reads from other origins get no CORS permission", func(t *testing.T) {
		r := send("GET", "/api/v1/me", "", map[string]string{"Origin": "http://kiosc.test:8081"}, true)
		if r.StatusCode != http.StatusOK || r.Header.Get("Access-Control-Allow-Origin") != "" ||
			r.Header.Get("Cross-Origin-Resource-Policy") != "same-origin" {
			t.Fatalf("status %d, headers %v", r.StatusCode, r.Header)
		}
	})
}

// A script of the same host can plant a second session cookie (another path, or without HttpOnly); kiosc refuses to
// pick one rather than act as whoever the planted cookie names.
func TestDuplicateSessionCookieIsRefused(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	admin := e.Login("admin", "admin-password")
	other := e.User("mallory", false)
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Cookie", web.SessionCookie+"="+other.Cookie+"; "+web.SessionCookie+"="+admin.Cookie)
	r := e.Send(req)
	if r.StatusCode != http.StatusBadRequest || r.ErrorCode() != "duplicate_cookie" {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
}

func TestUnderHTTPSThePlainSessionCookieIsIgnored(t *testing.T) {
	e := apitest.New(t, apitest.Options{SecureCookies: true})
	admin := e.Login("admin", "admin-password")
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	// A plain-http page of the same host could set kiosc_session; only __Host-kiosc_session counts under https.
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: admin.Cookie})
	if r := e.Send(req); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	for _, path := range []string{"/", "/projects", "/api/v1/config", "/healthz", "/api/v1/nope"} {
		r := e.Send(httptest.NewRequest("GET", path, nil))
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
			"X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin"} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}
