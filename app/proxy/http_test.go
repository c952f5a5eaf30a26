package proxy_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/proxy"
)

// echo is what the test app's /echo reports about the request it received.
type echo struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	RawQuery   string              `json:"raw_query"`
	RequestURI string              `json:"request_uri"`
	Host       string              `json:"host"`
	Headers    map[string][]string `json:"headers"`
	BodyBytes  int64               `json:"body_bytes"`
}

func decodeEcho(t *testing.T, r *http.Response) echo {
	t.Helper()
	body := readAll(t, r)
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, body)
	}
	var e echo
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return e
}

func (e echo) header(name string) string {
	return strings.Join(e.Headers[http.CanonicalHeaderKey(name)], ",")
}

func TestHTTP(t *testing.T) {
	e := newEnv(t)
	guest := e.member("gina", "guest")
	cookie, csrf := e.session(guest)

	t.Run("every method and the raw query reach the app", func(t *testing.T) {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"} {
			r := do(t, m, e.url(e.strip, "/echo/a%2Fb/c?x=1&y=%20z&x=2&flag"), cookie, strings.NewReader("hello"))
			got := decodeEcho(t, r)
			if got.Method != m || got.RequestURI != "/echo/a%2Fb/c?x=1&y=%20z&x=2&flag" {
				t.Fatalf("%s: app saw %s %s", m, got.Method, got.RequestURI)
			}
			if m != "GET" && m != "OPTIONS" && got.BodyBytes != 5 {
				t.Fatalf("%s: body %d bytes", m, got.BodyBytes)
			}
		}
		r := do(t, "HEAD", e.url(e.strip, "/download?size=1m"), cookie, nil)
		readAll(t, r)
		if r.StatusCode != 200 || r.ContentLength != 1<<20 {
			t.Fatalf("HEAD: %d, length %d", r.StatusCode, r.ContentLength)
		}
	})

	t.Run("strip prefix: the app sees the rest and the forwarding headers", func(t *testing.T) {
		r := do(t, "GET", e.url(e.strip, "/echo?q=1"), cookie, nil, "X-Forwarded-For: 6.6.6.6", "X-Forwarded-Host: evil.example",
			"X-Forwarded-Prefix: /evil", "Origin: "+e.base)
		got := decodeEcho(t, r)
		host := strings.TrimPrefix(e.base, "http://")
		for name, want := range map[string]string{
			"X-Forwarded-For":    "127.0.0.1",
			"X-Forwarded-Proto":  "http",
			"X-Forwarded-Host":   host,
			"X-Forwarded-Prefix": proxy.PathPrefix + e.strip,
			"X-Kiosc-User":       "gina",
			"Origin":             e.base,
		} {
			if got.header(name) != want {
				t.Errorf("%s = %q, want %q", name, got.header(name), want)
			}
		}
		if got.Path != "/echo" || got.RawQuery != "q=1" || got.Host != host {
			t.Fatalf("app saw path %q query %q host %q", got.Path, got.RawQuery, got.Host)
		}
	})

	t.Run("keep prefix: the app sees the full path", func(t *testing.T) {
		got := decodeEcho(t, do(t, "GET", e.url(e.keep, "/echo?q=1"), cookie, nil))
		if got.RequestURI != proxy.PathPrefix+e.keep+"/echo?q=1" || got.header("X-Forwarded-Prefix") != "" {
			t.Fatalf("app saw %q, prefix header %q", got.RequestURI, got.header("X-Forwarded-Prefix"))
		}
	})

	t.Run("no kiosc credential reaches the app", func(t *testing.T) {
		tok := e.token(guest)
		for _, tc := range []struct {
			name    string
			cookie  string
			headers []string
		}{
			{"session", cookie, []string{"Cookie: app=1; other=two", "X-CSRF-Token: " + csrf, "X-Kiosc-User: admin", "X-Kiosc-Role: owner"}},
			{"token", "", []string{"Authorization: Token " + tok, "Cookie: app=1; other=two"}},
			{"bearer token", "", []string{"Authorization: Bearer " + tok, "Cookie: app=1; other=two"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := decodeEcho(t, do(t, "POST", e.url(e.strip, "/echo"), tc.cookie, strings.NewReader("x"), tc.headers...))
				all, _ := json.Marshal(got.Headers)
				for _, secret := range []string{cookie, csrf, tok, "kiosc_session", "admin", "owner"} {
					if strings.Contains(string(all), secret) {
						t.Fatalf("%q reached the app: %s", secret, all)
					}
				}
				if c := got.header("Cookie"); !strings.Contains(c, "app=1") || !strings.Contains(c, "other=two") {
					t.Fatalf("the app's own cookies were lost: %q", c)
				}
				if got.header("X-Kiosc-User") != "gina" {
					t.Fatalf("X-Kiosc-User = %q", got.header("X-Kiosc-User"))
				}
			})
		}
		t.Run("the app's own Authorization passes", func(t *testing.T) {
			got := decodeEcho(t, do(t, "GET", e.url(e.strip, "/echo"), cookie, nil, "Authorization: Basic dXNlcjpwdw=="))
			if got.header("Authorization") != "Basic dXNlcjpwdw==" {
				t.Fatalf("Authorization = %q", got.header("Authorization"))
			}
		})
	})

	t.Run("redirects keep their Location", func(t *testing.T) {
		for _, to := range []string{"/elsewhere", "relative/path?x=1", proxy.PathPrefix + e.keep + "/echo", "https://example.org/"} {
			r := do(t, "GET", e.url(e.strip, "/redirect?to="+url.QueryEscape(to)), cookie, nil)
			readAll(t, r)
			if r.StatusCode != 302 || r.Header.Get("Location") != to {
				t.Fatalf("%s: %d Location %q", to, r.StatusCode, r.Header.Get("Location"))
			}
		}
		// An app under its base path redirects within it.
		r := do(t, "GET", e.url(e.keep, ""), cookie, nil)
		readAll(t, r)
		if r.StatusCode != 301 || r.Header.Get("Location") != proxy.PathPrefix+e.keep+"/" {
			t.Fatalf("prefix without slash: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
		r = do(t, "GET", e.url(e.strip, "?a=b"), cookie, nil)
		readAll(t, r)
		if r.StatusCode != 301 || r.Header.Get("Location") != proxy.PathPrefix+e.strip+"/?a=b" {
			t.Fatalf("prefix without slash: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("status codes and headers of the app pass through", func(t *testing.T) {
		for _, code := range []int{201, 204, 404, 418, 500, 503} {
			r := do(t, "GET", e.url(e.strip, "/status/"+strconv.Itoa(code)), cookie, nil)
			readAll(t, r)
			if r.StatusCode != code {
				t.Fatalf("status %d came back as %d", code, r.StatusCode)
			}
		}
	})

	t.Run("responses carry the app's headers once", func(t *testing.T) {
		r := do(t, "GET", e.url(e.strip, "/echo"), cookie, nil)
		readAll(t, r)
		for _, name := range []string{"Date", "Content-Type", "Content-Length"} {
			if len(r.Header.Values(name)) != 1 {
				t.Errorf("%s: %q", name, r.Header.Values(name))
			}
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
	})

	t.Run("uploads with Expect: 100-continue", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 10 * time.Second}}
		req, _ := http.NewRequest("PUT", e.url(e.strip, "/upload"), strings.NewReader(strings.Repeat("x", 3<<20)))
		req.Header.Set("Expect", "100-continue")
		req.AddCookie(&http.Cookie{Name: "kiosc_session", Value: cookie})
		start := time.Now()
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, r)
		var got struct{ Bytes int64 }
		_ = json.Unmarshal([]byte(body), &got)
		if r.StatusCode != 200 || got.Bytes != 3<<20 {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Fatalf("took %v: no 100 Continue", d)
		}
	})

	t.Run("requests count as activity", func(t *testing.T) {
		before := e.fake.touched(e.strip)
		readAll(t, do(t, "GET", e.url(e.strip, "/health"), cookie, nil))
		if e.fake.touched(e.strip) <= before {
			t.Fatal("a request did not touch the container")
		}
	})
}
