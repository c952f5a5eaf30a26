package sodar_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/sodar"
	"github.com/bihealth/kiosc/app/sodar/sodartest"
)

const secret = "s3cr3tt0ken0123456789abcdefghijk"

func TestFetchNegotiatesVersion(t *testing.T) {
	for _, tc := range []struct {
		accepted []string
		want     string
		tries    int
	}{
		{[]string{"1.0", "2.0", "2.1"}, "2.1", 1},
		{[]string{"1.0", "2.0"}, "2.0", 2},
		{[]string{"1.0"}, "1.0", 3},
	} {
		t.Run(tc.want, func(t *testing.T) {
			src := sodartest.New(t, secret, tc.accepted, sodartest.ExamplePayload(t))
			c := &sodar.Client{URL: src.URL + "/", Secret: secret}
			body, v, err := c.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v != tc.want {
				t.Fatalf("version %q, want %q", v, tc.want)
			}
			if string(body) != string(sodartest.Example(t, tc.want)) {
				t.Fatal("body is not the payload of the negotiated version")
			}
			reqs := src.Requests()
			if len(reqs) != tc.tries {
				t.Fatalf("%d requests, want %d: %+v", len(reqs), tc.tries, reqs)
			}
			for i, r := range reqs {
				want := sodar.MediaType + "; version=" + sodar.Versions[i]
				if r.Accept != want {
					t.Errorf("request %d Accept %q, want %q", i, r.Accept, want)
				}
				if r.Authorization != "" {
					t.Errorf("request %d sent Authorization %q", i, r.Authorization)
				}
				if r.Path != "/project/api/remote/get/"+secret {
					t.Errorf("request %d path %q", i, r.Path)
				}
			}
		})
	}
}

// unreachableURL returns the URL of a port nothing listens on.
func unreachableURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestFetchErrors(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A misconfigured proxy that echoes the request path, secret included.
		http.Error(w, "no route for "+r.URL.Path, http.StatusBadGateway)
	}))
	defer echo.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Login " + r.URL.Path + "</body></html>"))
	}))
	defer html.Close()
	slow := sodartest.New(t, secret, []string{"2.1"}, sodartest.ExamplePayload(t))
	release := slow.Hold()
	defer release()

	for _, tc := range []struct {
		name    string
		url     string
		secret  string
		want    error
		timeout time.Duration
	}{
		{"wrong secret", sodartest.New(t, secret, []string{"2.1"}, sodartest.ExamplePayload(t)).URL, "wrongsecret0123456789", sodar.ErrUnauthorized, 0},
		{"no acceptable version", sodartest.New(t, secret, []string{"0.13.4"}, sodartest.ExamplePayload(t)).URL, secret, sodar.ErrNoVersion, 0},
		{"closed port", unreachableURL(t), secret, sodar.ErrUnreachable, 0},
		{"timeout", slow.URL, secret, sodar.ErrUnreachable, 200 * time.Millisecond},
		{"bad gateway echoing the path", echo.URL, secret, sodar.ErrStatus, 0},
		{"html answer", html.URL, secret, sodar.ErrNotJSON, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &sodar.Client{URL: tc.url, Secret: tc.secret, Timeout: tc.timeout}
			_, _, err := c.Fetch(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestFetchNotJSONObject(t *testing.T) {
	for _, body := range []string{"", "not json", `"a string"`, `[1,2]`, `{"users": {`} {
		src := sodartest.New(t, secret, []string{"2.1"}, nil)
		src.SetRaw([]byte(body))
		c := &sodar.Client{URL: src.URL, Secret: secret}
		if _, _, err := c.Fetch(context.Background()); !errors.Is(err, sodar.ErrNotJSON) {
			t.Errorf("body %q: error %v, want ErrNotJSON", body, err)
		}
	}
}
