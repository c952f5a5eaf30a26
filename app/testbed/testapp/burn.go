package main

import (
	"fmt"
	"net/http"
	"runtime"
	"time"
)

// handleBurn keeps n CPUs busy for the duration d (GET /burn?d=5s&n=1), answering at once; for tests of usage
// charts and metrics.
func (s *server) handleBurn(w http.ResponseWriter, r *http.Request) {
	d, err := durationParam(r, "d", 5*time.Second)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	n, err := intParam(r, "n", 1)
	if err != nil || n < 1 || n > runtime.NumCPU()*4 {
		badRequest(w, "n must be a number of CPUs")
		return
	}
	until := time.Now().Add(d)
	for range n {
		go func() {
			x := 0
			for time.Now().Before(until) {
				for i := 0; i < 1_000_000; i++ {
					x += i
				}
			}
			_ = x
		}()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "burning %d CPU(s) for %v\n", n, d)
}
