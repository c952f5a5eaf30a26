package main

import (
	"net"
	"net/http"
	"time"
)

// dialResult is the JSON answer of /dial.
type dialResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// handleDial answers GET /dial?addr=host:port&timeout=2s: it opens a TCP
// connection to addr from inside the app (within timeout, default 2s),
// closes it again and answers 200 {"ok": true, "error": ""} or
// {"ok": false, "error": "<why>"}; 400 for a missing or malformed addr.
// Tests use it to check which addresses a container can reach.
func (s *server) handleDial(w http.ResponseWriter, r *http.Request) {
	addr := r.URL.Query().Get("addr")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		badRequest(w, "addr: want host:port")
		return
	}
	timeout, err := durationParam(r, "timeout", 2*time.Second)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(r.Context(), "tcp", addr)
	if err != nil {
		writeJSON(w, http.StatusOK, dialResult{Error: err.Error()})
		return
	}
	_ = conn.Close()
	writeJSON(w, http.StatusOK, dialResult{OK: true})
}
