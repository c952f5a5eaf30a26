package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestIndexAndHealth(t *testing.T) {
	srv, _ := startServer(t, config{})
	code, body := get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, "<title>kiosc test app</title>") {
		t.Fatalf("GET / = %d %q", code, body)
	}
	for _, id := range []string{`id="msg"`, `id="send"`, `id="out"`, `+ "ws"`} {
		if !strings.Contains(body, id) {
			t.Errorf("index page lacks %s", id)
		}
	}
	if code, body := get(t, srv.URL+"/health"); code != 200 || body != "ok" {
		t.Fatalf("GET /health = %d %q", code, body)
	}
	if code, _ := get(t, srv.URL+"/nope"); code != 404 {
		t.Fatalf("GET /nope = %d, want 404", code)
	}
}

func TestNeverReady(t *testing.T) {
	srv, _ := startServer(t, config{NeverReady: true})
	for _, p := range []string{"/", "/health"} {
		if code, _ := get(t, srv.URL+p); code != 503 {
			t.Errorf("GET %s = %d, want 503", p, code)
		}
	}
	if code, _ := get(t, srv.URL+"/echo"); code != 200 {
		t.Errorf("GET /echo = %d, want 200", code)
	}
}

func TestEcho(t *testing.T) {
	srv, _ := startServer(t, config{})
	req, _ := http.NewRequest("POST", srv.URL+"/echo/sub/path?a=1&b=%20x", strings.NewReader("hello"))
	req.Header.Set("Cookie", "session=abc; other=1")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Host = "example.org"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e echoResponse
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.Method != "POST" || e.Path != "/echo/sub/path" || e.RawQuery != "a=1&b=%20x" ||
		e.Host != "example.org" || e.BodyBytes != 5 || e.RemoteAddr == "" {
		t.Errorf("echo = %+v", e)
	}
	if got := e.Headers["Cookie"]; len(got) != 1 || got[0] != "session=abc; other=1" {
		t.Errorf("Cookie = %q", got)
	}
	if got := e.Headers["X-Multi"]; len(got) != 2 || got[1] != "two" {
		t.Errorf("X-Multi = %q", got)
	}
}

func TestBasePath(t *testing.T) {
	srv, _ := startServer(t, config{BasePath: "/containers/proxy/u1/"})
	for _, p := range []string{"/health", "/containers/proxy/u1/health"} {
		if code, body := get(t, srv.URL+p); code != 200 || body != "ok" {
			t.Errorf("GET %s = %d %q", p, code, body)
		}
	}
	_, body := get(t, srv.URL+"/containers/proxy/u1/echo?x=1")
	var e echoResponse
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if e.Path != "/containers/proxy/u1/echo" || e.RawQuery != "x=1" {
		t.Errorf("echo under base path = %+v", e)
	}
	// The base path without its trailing slash redirects, so that relative
	// links on the page stay under it.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/containers/proxy/u1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/containers/proxy/u1/" {
		t.Errorf("GET base path = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestBasePathOnly(t *testing.T) {
	srv, _ := startServer(t, config{BasePath: "/p/", BasePathOnly: true})
	if code, _ := get(t, srv.URL+"/health"); code != 404 {
		t.Errorf("GET /health = %d, want 404", code)
	}
	if code, _ := get(t, srv.URL+"/p/health"); code != 200 {
		t.Errorf("GET /p/health = %d, want 200", code)
	}
	if code, body := get(t, srv.URL+"/p/"); code != 200 || !strings.Contains(body, "kiosc test app") {
		t.Errorf("GET /p/ = %d", code)
	}
}

func TestSSE(t *testing.T) {
	srv, _ := startServer(t, config{})
	start := time.Now()
	resp, err := http.Get(srv.URL + "/sse?n=4&interval=100ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	var at []time.Duration
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") {
			if want := "data: " + strconv.Itoa(len(at)+1); line != want {
				t.Fatalf("event %q, want %q", line, want)
			}
			at = append(at, time.Since(start))
		}
	}
	if len(at) != 4 {
		t.Fatalf("got %d events, want 4", len(at))
	}
	// The first event is flushed at once, the others arrive one by one.
	if at[0] > 80*time.Millisecond {
		t.Errorf("first event after %v, want immediately", at[0])
	}
	for i := 1; i < len(at); i++ {
		if d := at[i] - at[i-1]; d < 80*time.Millisecond {
			t.Errorf("event %d came %v after the previous one, want ~100ms", i+1, d)
		}
	}
}

// patternSHA256 returns the SHA-256 of the first n bytes of the download
// pattern, computed independently of the handler.
func patternSHA256(n int64) string {
	h := sha256.New()
	buf := make([]byte, 0, 1<<16)
	for o := int64(0); o < n; o++ {
		buf = append(buf, byte(o%251))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

func TestDownload(t *testing.T) {
	srv, _ := startServer(t, config{})
	const size = 3<<20 + 7
	resp, err := http.Get(srv.URL + "/download?size=" + strconv.Itoa(size))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != size {
		t.Fatalf("Content-Length = %d, want %d", resp.ContentLength, size)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), patternSHA256(size); got != want {
		t.Fatalf("sha256 = %s, want %s", got, want)
	}

	for v, want := range map[string]int64{"0": 0, "1k": 1024, "2MiB": 2 << 20, "1G": 1 << 30} {
		if got, err := parseSize(v); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", v, got, err, want)
		}
	}
	if code, _ := get(t, srv.URL+"/download?size=-1"); code != 400 {
		t.Errorf("size=-1: %d, want 400", code)
	}
}

// TestDownloadStreams asks for a TiB: the handler can only answer at all if
// it streams, never holding the body in memory.
func TestDownloadStreams(t *testing.T) {
	srv, _ := startServer(t, config{})
	resp, err := http.Get(srv.URL + "/download?size=1024g")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != 1<<40 {
		t.Fatalf("Content-Length = %d", resp.ContentLength)
	}
	buf := make([]byte, 8<<20)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	for o, b := range buf {
		if b != byte(o%251) {
			t.Fatalf("byte %d = %d, want %d", o, b, o%251)
		}
	}
}

// countingReader yields n bytes of the download pattern.
type countingReader struct{ off, n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func TestUpload(t *testing.T) {
	srv, _ := startServer(t, config{})
	const size = 10<<20 + 3
	for _, method := range []string{"POST", "PUT"} {
		req, _ := http.NewRequest(method, srv.URL+"/upload", &countingReader{n: size})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got.Bytes != size || got.SHA256 != patternSHA256(size) {
			t.Errorf("%s /upload = %+v", method, got)
		}
	}
	if code, _ := get(t, srv.URL+"/upload"); code != 405 {
		t.Errorf("GET /upload = %d, want 405", code)
	}
}

func TestRedirectStatusSlow(t *testing.T) {
	srv, _ := startServer(t, config{})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, to := range []string{"/elsewhere?x=1", "../up", "https://example.org/a b"} {
		resp, err := c.Get(srv.URL + "/redirect?to=" + strings.NewReplacer("?", "%3F", "&", "%26", " ", "%20").Replace(to))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 302 || resp.Header.Get("Location") != to {
			t.Errorf("redirect to %q: %d %q", to, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, code := range []int{200, 204, 418, 500, 503} {
		if got, _ := get(t, srv.URL+"/status/"+strconv.Itoa(code)); got != code {
			t.Errorf("/status/%d = %d", code, got)
		}
	}
	if got, _ := get(t, srv.URL+"/status/abc"); got != 400 {
		t.Errorf("/status/abc = %d, want 400", got)
	}
	start := time.Now()
	if code, body := get(t, srv.URL+"/slow?delay=150ms"); code != 200 || time.Since(start) < 150*time.Millisecond {
		t.Errorf("/slow = %d %q after %v", code, body, time.Since(start))
	}
}

func TestLogExitOOM(t *testing.T) {
	srv, fp := startServer(t, config{})
	get(t, srv.URL+"/log?n=2&text=hello")
	get(t, srv.URL+"/log?stream=stderr&text=oops")
	if got := fp.stdout.String(); got != "hello 1\nhello 2\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := fp.stderr.String(); got != "oops 1\n" {
		t.Errorf("stderr = %q", got)
	}

	if code, body := get(t, srv.URL+"/exit?code=7"); code != 200 || !strings.Contains(body, "7") {
		t.Fatalf("/exit = %d %q", code, body)
	}
	select {
	case code := <-fp.exits:
		if code != 7 {
			t.Errorf("exit code %d, want 7", code)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("/exit did not exit")
	}

	if code, body := get(t, srv.URL+"/oom?mb=3"); code != 200 || !strings.Contains(body, "holding 3 MiB") {
		t.Errorf("/oom = %d %q", code, body)
	}
}

func TestEnvArgsFile(t *testing.T) {
	t.Setenv("KIOSC_BASE_PATH", "/containers/proxy/x/")
	srv, _ := startServer(t, config{})
	var env map[string]string
	_, body := get(t, srv.URL+"/env")
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatal(err)
	}
	if env["KIOSC_BASE_PATH"] != "/containers/proxy/x/" {
		t.Errorf("/env lacks KIOSC_BASE_PATH: %v", env)
	}
	var args []string
	_, body = get(t, srv.URL+"/args")
	if err := json.Unmarshal([]byte(body), &args); err != nil || len(args) == 0 || args[0] != os.Args[0] {
		t.Errorf("/args = %q, %v", body, err)
	}
	f := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(f, []byte("content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, srv.URL+"/file?path="+f); code != 200 || body != "content\n" {
		t.Errorf("/file = %d %q", code, body)
	}
	if code, _ := get(t, srv.URL+"/file?path="+f+".missing"); code != 404 {
		t.Errorf("/file missing = %d, want 404", code)
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig([]string{"-port", "9000"}, envMap("PORT=1234", "BASE_PATH=containers/proxy/u",
		"BASE_PATH_ONLY=1", "STARTUP_DELAY=2s", "CRASH_AFTER=1m", "LOG_EVERY=250ms", "MEMORY_HOG_MB=5", "NEVER_READY=1"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{Port: 9000, BasePath: "/containers/proxy/u/", BasePathOnly: true, StartupDelay: 2 * time.Second,
		NeverReady: true, CrashAfter: time.Minute, CrashCode: 1, LogEvery: 250 * time.Millisecond, MemoryHogMB: 5}
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if cfg, _ := loadConfig(nil, envMap(), io.Discard); cfg.Port != 8080 || cfg.BasePath != "" {
		t.Errorf("defaults = %+v", cfg)
	}
	for _, env := range []string{"PORT=x", "STARTUP_DELAY=3", "CRASH_CODE=one"} {
		if _, err := loadConfig(nil, envMap(env), io.Discard); err == nil {
			t.Errorf("%s: no error", env)
		}
	}
}
