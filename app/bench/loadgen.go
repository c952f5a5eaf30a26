package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// loadgenEnv makes the bench binary act as the HTTP load generator (a separate process, so that its CPU and memory
// are not counted as kiosc's).
const loadgenEnv = "KIOSC_BENCH_LOADGEN"

func init() {
	if os.Getenv(loadgenEnv) == "1" {
		os.Exit(loadgenMain(os.Args[1:]))
	}
}

// loadResult is what the load generator reports.
type loadResult struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Bytes    int64         `json:"bytes"`
}

func (r loadResult) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %.2f ms, p99 %.2f ms", r.RPS, ms(r.P50), ms(r.P99))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	return s
}

// loadgen runs the load generator process against u for d, as fast as the connections go.
func loadgen(ctx context.Context, u, token string, conns int, d time.Duration) (loadResult, error) {
	return loadgenRate(ctx, u, token, conns, 0, d)
}

// loadgenRate runs the load generator process against u for d; rate > 0 spreads that many requests per second
// evenly over the connections, and latencies count from when each request was due (a late start is latency too).
func loadgenRate(ctx context.Context, u, token string, conns, rate int, d time.Duration) (loadResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadResult{}, err
	}
	credential := []string{"-token", token}
	if cookie, ok := strings.CutPrefix(token, "Cookie: "); ok {
		// A browser's credential: the app cookie on the app listener.
		credential = []string{"-cookie", cookie}
	}
	cmd := exec.CommandContext(ctx, exe, append(append([]string{"-url", u}, credential...), "-c", strconv.Itoa(conns), "-d", d.String(),
		"-rate", strconv.Itoa(rate))...)
	cmd.Env = append(os.Environ(), loadgenEnv+"=1", "GOMAXPROCS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadResult{}, fmt.Errorf("load generator: %w: %s", err, stderr.String())
	}
	var r loadResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("load generator output %q: %w", out, err)
	}
	if r.Requests == 0 || r.Errors > r.Requests/100 {
		return r, fmt.Errorf("load generator: %d requests, %d errors: %s", r.Requests, r.Errors, stderr.String())
	}
	return r, nil
}

// loadgenMain is the load generator: c connections, each sending requests back to back for d.
func loadgenMain(args []string) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	u := fs.String("url", "", "URL")
	token := fs.String("token", "", "API token")
	cookie := fs.String("cookie", "", "Cookie header")
	c := fs.Int("c", 16, "connections")
	d := fs.Duration("d", 5*time.Second, "duration")
	rate := fs.Int("rate", 0, "requests per second in all (0: as fast as possible)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pu, err := url.Parse(*u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	hc := &fasthttp.HostClient{Addr: pu.Host, MaxConns: *c, ReadBufferSize: 16 << 10, MaxIdleConnDuration: time.Minute}
	var mu sync.Mutex
	var all []time.Duration
	var res loadResult
	var lastErr error
	stop := time.Now().Add(*d)
	var wg sync.WaitGroup
	start := time.Now()
	// With a rate, each connection sends a request every interval, the connections offset evenly.
	var interval time.Duration
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(*c) / float64(*rate))
	}
	for k := range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			if *cookie != "" {
				// Once: fasthttp adds to the request's cookies on every Set of Cookie.
				req.Header.Set("Cookie", *cookie)
			}
			lat := make([]time.Duration, 0, 1<<16)
			var n, errs, bytesIn int64
			var last error
			due := start.Add(interval * time.Duration(k) / time.Duration(*c))
			for time.Now().Before(stop) {
				req.SetRequestURI(*u)
				if *token != "" {
					req.Header.Set("Authorization", "Token "+*token)
				}
				t0 := time.Now()
				if interval > 0 {
					time.Sleep(time.Until(due))
					t0, due = due, due.Add(interval)
					if !t0.Before(stop) {
						break
					}
				}
				err := hc.Do(req, resp)
				if err == nil && resp.StatusCode() != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode())
				}
				if err != nil {
					errs++
					last = err
					continue
				}
				lat = append(lat, time.Since(t0))
				bytesIn += int64(len(resp.Body()))
				n++
			}
			mu.Lock()
			all = append(all, lat...)
			res.Requests += n
			res.Errors += errs
			res.Bytes += bytesIn
			if last != nil {
				lastErr = last
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	if len(all) > 0 {
		res.P50, res.P99 = all[len(all)/2], all[len(all)*99/100]
	}
	res.RPS = float64(res.Requests) / elapsed.Seconds()
	if lastErr != nil {
		fmt.Fprintln(os.Stderr, "last error:", lastErr)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// cpuOf returns the CPU time (user + system) a process has used so far; 0 when it cannot be read.
func cpuOf(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticksPerSecond
}

// median returns the run with the median throughput, and the median p50 and p99 of all runs.
func median(runs []loadResult) loadResult {
	pick := func(key func(loadResult) float64) loadResult {
		sorted := slices.Clone(runs)
		slices.SortFunc(sorted, func(a, b loadResult) int { return cmp.Compare(key(a), key(b)) })
		return sorted[len(sorted)/2]
	}
	m := pick(func(r loadResult) float64 { return r.RPS })
	m.P50 = pick(func(r loadResult) float64 { return float64(r.P50) }).P50
	m.P99 = pick(func(r loadResult) float64 { return float64(r.P99) }).P99
	return m
}

// sum adds up the requests of several runs (for CPU per request).
func sum(runs []loadResult) loadResult {
	var t loadResult
	for _, r := range runs {
		t.Requests += r.Requests
	}
	return t
}

// perRequest is CPU time per request of a load run, in microseconds.
func perRequest(cpu time.Duration, r loadResult) float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Microsecond) / float64(r.Requests)
}
