package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
)

func TestDial(t *testing.T) {
	srv, _ := startServer(t, config{})
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name   string
		query  string
		status int
		ok     bool
	}{
		{"listening", "addr=" + srv.Listener.Addr().String(), http.StatusOK, true},
		{"nothing listens", "addr=" + closedAddr + "&timeout=1s", http.StatusOK, false},
		{"no addr", "", http.StatusBadRequest, false},
		{"no port", "addr=127.0.0.1", http.StatusBadRequest, false},
		{"bad timeout", "addr=" + closedAddr + "&timeout=soon", http.StatusBadRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			status, body := get(t, srv.URL+"/dial?"+q.Encode())
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status != http.StatusOK {
				return
			}
			var res dialResult
			if err := json.Unmarshal([]byte(body), &res); err != nil {
				t.Fatal(err)
			}
			if res.OK != tc.ok || (res.Error == "") != tc.ok {
				t.Errorf("answer %+v, want ok=%v with an error only when not ok", res, tc.ok)
			}
		})
	}
}
