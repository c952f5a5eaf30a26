package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestMain lets tests run the real main function in a child process (the
// test binary re-executed with KIOSC_TESTAPP_MAIN=1).
func TestMain(m *testing.M) {
	if os.Getenv("KIOSC_TESTAPP_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeProcess captures output and exit calls.
type fakeProcess struct {
	stdout, stderr syncBuffer
	exits          chan int
}

func newFakeProcess() *fakeProcess {
	return &fakeProcess{exits: make(chan int, 4)}
}

func (f *fakeProcess) process() *process {
	return &process{stdout: &f.stdout, stderr: &f.stderr, exit: func(code int) { f.exits <- code }}
}

// startServer serves the test app with cfg on an httptest server.
func startServer(t *testing.T, cfg config) (*httptest.Server, *fakeProcess) {
	t.Helper()
	fp := newFakeProcess()
	srv := httptest.NewServer(newServer(cfg, fp.process()))
	t.Cleanup(srv.Close)
	return srv, fp
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// envMap returns a getenv function backed by kv pairs "K=V".
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}
