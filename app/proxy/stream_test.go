package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// closedAddr returns an address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// heapPeak samples the heap until stop is called and returns the growth over the starting heap.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
					peak.Store(ms.HeapAlloc - base)
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// pattern produces the test app's download pattern (byte at offset o is o%251) as a reader of n bytes.
type pattern struct{ off, n int64 }

// patternPeriod is the pattern from offset 0 over many of its periods, so that reads are copies: the race detector
// checks a copy once, but every byte of a loop, which made writing the gigabytes of these tests take most of a
// minute.
var patternPeriod = func() []byte {
	b := make([]byte, 251*4096)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// patternAt is the pattern's bytes from offset off, at most len(patternPeriod)-250 of them.
func patternAt(off int64) []byte { return patternPeriod[off%251:] }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for done := 0; done < len(b); {
		done += copy(b[done:], patternAt(p.off+int64(done)))
	}
	p.off += int64(len(b))
	return len(b), nil
}

const (
	gib      = 1 << 30
	heapHigh = 64 << 20
)

func TestLargeBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB transfers")
	}
	e := newEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))

	t.Run("1 GiB download with bounded memory", func(t *testing.T) {
		stop := heapPeak()
		r := do(t, "GET", e.url(e.strip, "/download?size=1g"), cookie, nil)
		if r.StatusCode != 200 || r.ContentLength != gib {
			t.Fatalf("%d, length %d", r.StatusCode, r.ContentLength)
		}
		var n int64
		buf := make([]byte, 256<<10)
		for {
			k, err := r.Body.Read(buf)
			// Every byte is checked against the pattern.
			if k > 0 {
				if !bytes.Equal(buf[:k], patternAt(n)[:k]) {
					t.Fatalf("corrupted within %d bytes from offset %d", k, n)
				}
				n += int64(k)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		r.Body.Close()
		peak := stop()
		t.Logf("downloaded %d bytes, heap growth %d MiB", n, peak>>20)
		if n != gib {
			t.Fatalf("got %d bytes", n)
		}
		if peak > heapHigh {
			t.Fatalf("heap grew by %d MiB", peak>>20)
		}
	})

	t.Run("1 GiB upload with bounded memory", func(t *testing.T) {
		h := sha256.New()
		_, _ = io.Copy(h, &pattern{n: gib})
		wantSum := hex.EncodeToString(h.Sum(nil))
		stop := heapPeak()
		req, _ := http.NewRequest("POST", e.url(e.strip, "/upload"), &pattern{n: gib})
		req.ContentLength = gib
		req.AddCookie(&http.Cookie{Name: "kiosc_session", Value: cookie})
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, r)
		peak := stop()
		var got struct {
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
		}
		_ = json.Unmarshal([]byte(body), &got)
		t.Logf("uploaded %d bytes, heap growth %d MiB", got.Bytes, peak>>20)
		if r.StatusCode != 200 || got.Bytes != gib || got.SHA256 != wantSum {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
		if peak > heapHigh {
			t.Fatalf("heap grew by %d MiB", peak>>20)
		}
	})

	t.Run("chunked upload of unknown length", func(t *testing.T) {
		const size = 64 << 20
		h := sha256.New()
		_, _ = io.Copy(h, &pattern{n: size})
		req, _ := http.NewRequest("PUT", e.url(e.strip, "/upload"), io.NopCloser(&pattern{n: size}))
		req.ContentLength = -1
		req.AddCookie(&http.Cookie{Name: "kiosc_session", Value: cookie})
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, r)
		if r.StatusCode != 200 || !strings.Contains(body, hex.EncodeToString(h.Sum(nil))) {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})

	t.Run("a client leaving mid-download does not break later requests", func(t *testing.T) {
		for range 20 {
			r := do(t, "GET", e.url(e.strip, "/download?size=1g"), cookie, nil)
			_, _ = io.CopyN(io.Discard, r.Body, 1<<20)
			r.Body.Close()
		}
		r := do(t, "GET", e.url(e.strip, "/health"), cookie, nil)
		if readAll(t, r); r.StatusCode != 200 {
			t.Fatalf("%d", r.StatusCode)
		}
	})
}

func TestServerSentEvents(t *testing.T) {
	e := newEnv(t)
	cookie, _ := e.session(e.member("gina", "guest"))
	// Three events, 2 s apart: the first must arrive long before the stream ends.
	start := time.Now()
	r := do(t, "GET", e.url(e.strip, "/sse?n=3&interval=2s"), cookie, nil, "Accept: text/event-stream")
	defer r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(r.Body)
	var got []string
	var firstAt time.Duration
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "data: ") {
			if len(got) == 0 {
				firstAt = time.Since(start)
			}
			got = append(got, strings.TrimSpace(line))
		}
		if err != nil {
			break
		}
	}
	if strings.Join(got, ",") != "data: 1,data: 2,data: 3" {
		t.Fatalf("events %q", got)
	}
	if total := time.Since(start); firstAt > total-3*time.Second {
		t.Fatalf("first event after %v of %v: buffered", firstAt, total)
	}
}
