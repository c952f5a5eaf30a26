package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bihealth/kiosc/app/api/apitest"
	"github.com/bihealth/kiosc/app/server"
)

func TestRoutes(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	anon := e.Anonymous()
	for _, tc := range []struct {
		name, path   string
		status       int
		contains     string
		cacheControl string
	}{
		{"healthz", "/healthz", 200, `"ok"`, ""},
		{"readyz", "/readyz", 200, `"database":"ok"`, ""},
		{"unknown API path is JSON 404", "/api/v1/nope", 404, `"not_found"`, ""},
		{"unknown API root is JSON 404", "/api/nope", 404, `"not_found"`, ""},
		{"SPA root", "/", 200, "<title>kiosc</title>", "no-cache"},
		{"SPA deep route", "/projects/1234/containers", 200, "<title>kiosc</title>", "no-cache"},
		{"SPA lobby", "/lobby/0b2c?next=/x", 200, "<title>kiosc</title>", "no-cache"},
		{"hashed asset", "/assets/app-1a2b.js", 200, "console.log", "public, max-age=31536000, immutable"},
		{"missing asset", "/assets/gone-9999.js", 404, "", ""},
		{"metrics need a superuser", "/metrics", 401, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.Do("GET", tc.path, nil)
			if r.StatusCode != tc.status || !strings.Contains(r.Body, tc.contains) {
				t.Fatalf("got %d %q", r.StatusCode, r.Body)
			}
			if tc.cacheControl != "" && r.Header.Get("Cache-Control") != tc.cacheControl {
				t.Fatalf("Cache-Control = %q", r.Header.Get("Cache-Control"))
			}
		})
	}
	admin := e.Login("admin", "admin-password")
	if r := admin.Do("GET", "/metrics", nil); r.StatusCode != 200 || !strings.Contains(r.Body, "kiosc_http_requests_total") {
		t.Fatalf("metrics for a superuser: %d", r.StatusCode)
	}
	if r := e.User("bob", false).Do("GET", "/metrics", nil); r.StatusCode != 403 {
		t.Fatalf("metrics for a normal user: %d", r.StatusCode)
	}
}

func TestReadyzReportsTheFailingDependency(t *testing.T) {
	e := apitest.New(t, apitest.Options{Ready: map[string]server.Pinger{
		"docker": func(context.Context) error {
			return errors.New("docker engine unreachable at unix:///var/run/docker.sock")
		},
	}})
	r := e.Send(httptest.NewRequest("GET", "/readyz", nil))
	if r.StatusCode != 503 || !strings.Contains(r.JSON["reason"].(string), "docker: docker engine unreachable") {
		t.Fatalf("readyz: %d %s", r.StatusCode, r.Body)
	}
}
