package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/server"
)

// TestGate: while kiosc starts, its listener answers /healthz and says "starting" to everything else; once opened,
// the real server answers.
func TestGate(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := server.NewGate(log, nil)
	go func() { _ = g.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
	})
	base := "http://" + ln.Addr().String()
	get := func(path, accept string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, _ := get("/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz while starting: %d %s", code, body)
	}
	if code, body, h := get("/readyz", ""); code != 503 || !strings.Contains(body, "starting") || h.Get("Retry-After") == "" {
		t.Fatalf("readyz while starting: %d %s", code, body)
	}
	if code, body, h := get("/api/v1/session", ""); code != 503 || !strings.Contains(body, `"starting"`) || h.Get("Retry-After") == "" {
		t.Fatalf("API while starting: %d %s", code, body)
	}
	if code, body, _ := get("/projects", "text/html"); code != 503 || !strings.Contains(body, "refresh") {
		t.Fatalf("page while starting: %d %s", code, body)
	}

	g.Open(server.New(server.Deps{Log: log, Metrics: metrics.New("test", nil),
		SPA: fstest.MapFS{"index.html": {Data: []byte("<title>kiosc</title>")}}}))
	if code, body, _ := get("/projects", "text/html"); code != 200 || !strings.Contains(body, "<title>kiosc</title>") {
		t.Fatalf("page once open: %d %s", code, body)
	}
	if code, _, _ := get("/api/v1/nope", ""); code != 404 {
		t.Fatalf("API once open: %d", code)
	}
}
