package proxy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/store"
)

const testUUID = "7f1c2e0a-0000-4000-8000-00000000cafe"

func testSubdomains(t *testing.T, domain, base string) *subdomains {
	t.Helper()
	keys, err := secrets.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	return newSubdomains(Options{Domain: domain, BaseURL: u, Auth: auth.NewService(nil, keys, nil, auth.Options{}),
		Sessions: &store.Store{}, CacheTTL: time.Second}, u.Scheme)
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
	cleanResponse(&resp.Header, false)
	out := resp.Header.String()
	if strings.Contains(out, AppCookie) || strings.Contains(out, "forged") || !strings.Contains(out, "app=1") {
		t.Fatalf("%s", out)
	}
}

func TestAppCookieName(t *testing.T) {
	// Under https the __Host- prefix keeps sibling apps (same site) from planting the cookies with a Domain.
	for base, want := range map[string][2]string{
		"https://kiosc.example.org":   {SecureAppCookie, SecureStateCookie},
		"http://kiosc.localhost:8080": {AppCookie, StateCookie},
	} {
		s := testSubdomains(t, "apps.example.org", base)
		if got := [2]string{s.cookie, s.stateCookie}; got != want {
			t.Errorf("%s: cookies %q, want %q", base, got, want)
		}
	}
}

func TestValidState(t *testing.T) {
	for s, ok := range map[string]bool{
		secrets.RandomToken(32): true, "": false, secrets.RandomToken(31): false, secrets.RandomToken(33): false,
		strings.Repeat("a", 42) + "=": false, strings.Repeat("a", 42) + "/": false,
	} {
		if validState(s) != ok {
			t.Errorf("%q: %v", s, !ok)
		}
	}
}

func TestSafePath(t *testing.T) {
	for p, ok := range map[string]bool{
		"/": true, "/a?b=c": true, "/a/b#c": true, "": false, "//evil": false, "/\\evil": false, "http://x/": false,
		"/a\nb": false, "a": false,
	} {
		if safePath(p) != ok {
			t.Errorf("%q: %v", p, !ok)
		}
	}
}
