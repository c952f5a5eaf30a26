package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	srv, _ := startServer(t, config{})
	dir := t.TempDir()
	f := filepath.Join(dir, "sub", "note.txt")
	put := func(path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/write?path="+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put(f, "hello"); code != 201 {
		t.Fatalf("PUT /write = %d", code)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "hello" {
		t.Errorf("file holds %q, %v", b, err)
	}
	if code, body := get(t, srv.URL+"/file?path="+f); code != 200 || body != "hello" {
		t.Errorf("/file = %d %q", code, body)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if os.Geteuid() != 0 {
		if code := put(filepath.Join(dir, "other.txt"), "x"); code != 403 {
			t.Errorf("write into a read-only folder = %d, want 403", code)
		}
	}
	if code, _ := get(t, srv.URL+"/write?path="+f); code != 405 {
		t.Errorf("GET /write = %d, want 405", code)
	}
	if code := put("", "x"); code != 400 {
		t.Errorf("no path = %d, want 400", code)
	}
}
