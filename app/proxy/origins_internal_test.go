package proxy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/routing"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

const testUUID = "7f1c2e0a-0000-4000-8000-00000000cafe"

func testSubdomains(t *testing.T, domain, base string) *appOrigins {
	t.Helper()
	u, _ := url.Parse(base)
	return testOrigins(t, routing.Apps{Mode: routing.Subdomain, Base: u, Domain: domain})
}

func testOrigins(t *testing.T, apps routing.Apps) *appOrigins {
	t.Helper()
	keys, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return newAppOrigins(Options{Apps: apps, BaseURL: apps.Base, Auth: auth.NewService(nil, keys, nil, auth.Options{}),
		Sessions: &store.Store{}, CacheTTL: time.Second})
}

func TestSubdomainMatch(t *testing.T) {
	for _, tc := range []struct {
		domain, base, host string
		uuid               string
		under              bool
	}{
		{"apps.example.org", "https://kiosc.example.org", testUUID + ".apps.example.org", testUUID, true},
		{"apps.example.org", "https://kiosc.example.org", strings.ToUpper(testUUID) + ".Apps.Example.ORG", testUUID, true},
		{"apps.example.org", "https://kiosc.example.org", testUUID + ".apps.example.org:443", testUUID, true},
		{"apps.example.org", "https://kiosc.example.org", testUUID + ".apps.example.org.", testUUID, true},
		{"apps.example.org", "https://kiosc.example.org", "kiosc.example.org", "", false},
		{"apps.example.org", "https://kiosc.example.org", "apps.example.org", "", false},
		{"apps.example.org", "https://kiosc.example.org", "xapps.example.org", "", false},
		{"apps.example.org", "https://kiosc.example.org", "nope.apps.example.org", "", true},
		{"apps.example.org", "https://kiosc.example.org", "a." + testUUID + ".apps.example.org", "", true},
		{"apps.example.org", "https://kiosc.example.org", strings.Replace(testUUID, "-", "x", 1) + ".apps.example.org", "", true},
		// kiosc itself may live under the domain.
		{"example.org", "https://kiosc.example.org", "kiosc.example.org", "", false},
		{"example.org", "https://kiosc.example.org", "other.example.org", "", true},
		// A domain with a port (development) matches only that port.
		{"apps.localhost:8080", "http://127.0.0.1:8080", testUUID + ".apps.localhost:8080", testUUID, true},
		{"apps.localhost:8080", "http://127.0.0.1:8080", testUUID + ".apps.localhost:9090", "", false},
		{"apps.localhost:8080", "http://127.0.0.1:8080", testUUID + ".apps.localhost", "", false},
		{"localhost:8080", "http://localhost:8080", "localhost:8080", "", false},
		{"localhost:8080", "http://localhost:8080", testUUID + ".localhost:8080", testUUID, true},
	} {
		t.Run(tc.domain+" "+tc.host, func(t *testing.T) {
			s := testSubdomains(t, tc.domain, tc.base)
			uuid, under := s.match([]byte(tc.host))
			if uuid != tc.uuid || under != tc.under {
				t.Fatalf("got %q %v, want %q %v", uuid, under, tc.uuid, tc.under)
			}
		})
	}
}

func TestAppCookie(t *testing.T) {
	s := testSubdomains(t, "apps.test", "http://kiosc.test")
	now := time.Now()
	exp := now.Add(time.Hour)
	v := s.appCookieValue(42, secrets.Hash("session"), testUUID, exp)

	t.Run("round trip", func(t *testing.T) {
		user, session, uuid, expires, ok := s.parseAppCookie(v, now)
		if !ok || user != 42 || session != secrets.Hash("session") || uuid != testUUID || expires.Unix() != exp.Unix() {
			t.Fatalf("%v %d %s %s %v", ok, user, session, uuid, expires)
		}
	})
	t.Run("refused", func(t *testing.T) {
		i := strings.LastIndexByte(v, '.')
		for name, bad := range map[string]string{
			"expired":          "",
			"other user":       strings.Replace(v, "v1.42.", "v1.43.", 1),
			"other container":  strings.Replace(v, testUUID, strings.Replace(testUUID, "cafe", "beef", 1), 1),
			"other signature":  v[:i+1] + s.keys.Sign("another purpose", []byte(v[:i])),
			"no signature":     v[:i],
			"garbage":          "x",
			"signed, too many": "v1.1.2.3.4.5." + s.keys.Sign(appCookiePurpose, []byte("v1.1.2.3.4.5")),
		} {
			at := now
			if name == "expired" {
				bad, at = v, exp
			}
			if _, _, _, _, ok := s.parseAppCookie(bad, at); ok {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

func TestAppTokens(t *testing.T) {
	s := testSubdomains(t, "apps.test", "http://kiosc.test")
	now := time.Now()
	s.now = func() time.Time { return now }
	id := &auth.Identity{User: &store.User{ID: 7}, Session: &store.Session{IDHash: "h"}}
	state := secrets.RandomToken(32)
	issue := func() string {
		tok, err := s.issue(testUUID, id, state)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	tok := issue()
	if got, err := s.redeem(tok, testUUID, state); err != nil || got.user != 7 || got.session != "h" || got.container != testUUID ||
		got.state != state {
		t.Fatalf("redeem: %+v %v", got, err)
	}
	if _, err := s.redeem(tok, testUUID, state); !errors.Is(err, errTokenUsed) {
		t.Fatalf("second use: %v", err)
	}
	if _, err := s.redeem("nope", testUUID, state); !errors.Is(err, errTokenUnknown) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := s.redeem("", testUUID, state); !errors.Is(err, errTokenMissing) {
		t.Fatalf("missing: %v", err)
	}
	tok = issue()
	now = now.Add(AppTokenLifetime)
	if _, err := s.redeem(tok, testUUID, state); !errors.Is(err, errTokenExpired) {
		t.Fatalf("expired: %v", err)
	}
	tok = issue()
	if _, err := s.redeem(tok, "other", state); !errors.Is(err, errTokenForeign) {
		t.Fatalf("foreign: %v", err)
	}
	if _, err := s.redeem(tok, testUUID, state); !errors.Is(err, errTokenUsed) {
		t.Fatalf("after a foreign use: %v", err)
	}

	t.Run("only the browser that started the sign-in may redeem", func(t *testing.T) {
		for name, other := range map[string]string{"no state": "", "another state": secrets.RandomToken(32),
			"a prefix of the state": state[:42]} {
			tok := issue()
			if _, err := s.redeem(tok, testUUID, other); !errors.Is(err, errTokenBrowser) {
				t.Fatalf("%s: %v", name, err)
			}
			if _, err := s.redeem(tok, testUUID, state); !errors.Is(err, errTokenUsed) {
				t.Fatalf("%s, then the right state: %v", name, err)
			}
		}
	})

	t.Run("expired tokens are swept", func(t *testing.T) {
		for range appTokenLimit / 10 {
			issue()
		}
		now = now.Add(AppTokenLifetime)
		issue()
		if n := len(s.tokens); n != 1 {
			t.Fatalf("%d tokens kept", n)
		}
	})
}

func TestCleanResponseDropsAppCookie(t *testing.T) {
	var resp fasthttp.Response
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: kiosc_app=forged; Path=/\r\n" +
		"Set-Cookie: __Host-kiosc_app=forged; Path=/; Secure\r\nSet-Cookie: kiosc_app_state=forged; Domain=apps.test\r\n" +
		"Set-Cookie: __Host-kiosc_app_state=forged; Path=/; Secure\r\nSet-Cookie: app=1; Path=/\r\n\r\n"
	if err := resp.Header.Read(bufioReader(raw)); err != nil {
		t.Fatal(err)
	}
	cleanResponse(&resp.Header, "", false)
	out := resp.Header.String()
	if strings.Contains(out, AppCookie) || strings.Contains(out, "forged") || !strings.Contains(out, "app=1") {
		t.Fatalf("%s", out)
	}
}

func TestAppOriginURLs(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:8080")
	appBase, _ := url.Parse("http://127.0.0.1:8081")
	s := testOrigins(t, routing.Apps{Mode: routing.AppOrigin, Base: base, AppBase: appBase})
	prefix := PathPrefix + testUUID
	if got := s.startURL(testUUID, prefix+"/x?y=1"); got != "http://127.0.0.1:8081/.kiosc/start?app="+testUUID+"&next="+url.QueryEscape(prefix+"/x?y=1") {
		t.Errorf("startURL = %s", got)
	}
	if got := s.authURL(testUUID, "tok", prefix+"/"); got != "http://127.0.0.1:8081/.kiosc/auth?app="+testUUID+"&token=tok&next="+url.QueryEscape(prefix+"/") {
		t.Errorf("authURL = %s", got)
	}
	if s.cookie != AppCookie || s.cookiePath(testUUID) != prefix+"/" || s.stateCookieName(testUUID) != StateCookie+"_"+testUUID ||
		s.stateCookiePath() != "/.kiosc/" {
		t.Errorf("cookies %q at %q, state %q at %q", s.cookie, s.cookiePath(testUUID), s.stateCookieName(testUUID), s.stateCookiePath())
	}
	for next, want := range map[string]string{
		prefix + "/lab?a=b":                  prefix + "/lab?a=b",
		prefix:                               prefix,
		prefix + "?x":                        prefix + "?x",
		prefix + "/../" + testUUID[:8] + "/": prefix + "/",
		prefix + "/%2E%2e/other/":            prefix + "/",
		PathPrefix + "7f1c2e0a-0000-4000-8000-0000000000ff/": prefix + "/",
		prefix + "x/":             prefix + "/",
		"//evil.example" + prefix: prefix + "/",
		"/":                       prefix + "/",
	} {
		if got := s.cleanNext(testUUID, next); got != want {
			t.Errorf("cleanNext(%q) = %q, want %q", next, got, want)
		}
	}
	secureBase, _ := url.Parse("https://kiosc.example.org")
	secureApps, _ := url.Parse("https://kiosc.example.org:8443")
	s = testOrigins(t, routing.Apps{Mode: routing.AppOrigin, Base: secureBase, AppBase: secureApps})
	// Cookies scoped to a prefix cannot be __Host- cookies; __Secure- keeps plain-http pages from setting them.
	if s.cookie != "__Secure-kiosc_app" || s.stateCookieName(testUUID) != "__Secure-kiosc_app_state_"+testUUID {
		t.Errorf("cookies under https: %q %q", s.cookie, s.stateCookieName(testUUID))
	}
}

func TestCleanResponseKeepsAppCookiesInTheirPlace(t *testing.T) {
	prefix := PathPrefix + testUUID
	for _, tc := range []struct {
		name, prefix, setCookie string
		want                    []string // substrings of the cleaned header; "-" + s: must not be there
	}{
		{"root path moves under the prefix", prefix, "sid=1; Path=/", []string{"sid=1", "path=" + prefix + "/", "-path=/;"}},
		{"no path moves under the prefix", prefix, "sid=1", []string{"sid=1", "path=" + prefix + "/"}},
		{"a path of the app outside its prefix", prefix, "sid=1; Path=/api", []string{"path=" + prefix + "/api"}},
		{"a path under the prefix stays", prefix, "sid=1; Path=" + prefix + "/lab", []string{"path=" + prefix + "/lab"}},
		{"a look-alike prefix is not the prefix", prefix, "sid=1; Path=" + prefix + "x", []string{"path=" + prefix + "/" + strings.TrimPrefix(prefix+"x", "/")}},
		{"a parent domain becomes host-only", prefix, "sid=1; Domain=example.org; Path=" + prefix + "/", []string{"sid=1", "-domain="}},
		{"__Host- cookies cannot live on a shared origin", prefix, "__Host-sid=1; Path=/; Secure", []string{"-__Host-sid"}},
		{"kiosc's cookie names are reserved", prefix, "kiosc_app_state_x=1; Path=/.kiosc/", []string{"-kiosc_app_state_x"}},
		{"a subdomain app keeps its root path", "", "sid=1; Path=/", []string{"path=/"}},
		{"a subdomain app gets no parent domain", "", "sid=1; Domain=apps.example.org", []string{"sid=1", "-domain="}},
		{"a subdomain app may use __Host-", "", "__Host-sid=1; Path=/; Secure", []string{"__Host-sid=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp fasthttp.Response
			raw := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: " + tc.setCookie +
				"\r\nService-Worker-Allowed: /\r\nClear-Site-Data: \"cookies\"\r\n\r\n"
			if err := resp.Header.Read(bufioReader(raw)); err != nil {
				t.Fatal(err)
			}
			cleanResponse(&resp.Header, tc.prefix, false)
			out := resp.Header.String()
			lower := strings.ToLower(out)
			for _, w := range append(tc.want, "-service-worker-allowed", "-clear-site-data") {
				if gone, ok := strings.CutPrefix(w, "-"); ok {
					if strings.Contains(lower, strings.ToLower(gone)) {
						t.Errorf("%q still in\n%s", gone, out)
					}
				} else if !strings.Contains(lower, strings.ToLower(w)) {
					t.Errorf("%q missing from\n%s", w, out)
				}
			}
		})
	}
}

func TestStripKioscCredentials(t *testing.T) {
	var req fasthttp.Request
	raw := "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YTpi\r\nAuthorization: Token kiosc_secret\r\n" +
		"Authorization: Bearer kiosc_other\r\nCookie: app=1; kiosc_session=s; __Host-kiosc_session=h; __Secure-kiosc_app=a; " +
		"kiosc_app_state_" + testUUID + "=st; KIOSC_APP=x; sid=2\r\n\r\n"
	if err := req.Header.Read(bufioReader(raw)); err != nil {
		t.Fatal(err)
	}
	stripKioscCookies(&req.Header)
	stripKioscTokens(&req.Header)
	out := req.Header.String()
	if strings.Contains(strings.ToLower(out), "kiosc_") {
		t.Errorf("a kiosc credential reaches the app:\n%s", out)
	}
	for _, kept := range []string{"Authorization: Basic YTpi", "app=1", "sid=2"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q lost from\n%s", kept, out)
		}
	}
}
