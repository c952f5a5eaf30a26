package proxy

import (
	"bufio"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestCleanResponse(t *testing.T) {
	var resp fasthttp.Response
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n" +
		"Set-Cookie: kiosc_session=stolen; Path=/\r\nSet-Cookie: app=1; Path=/x\r\nX-App: yes\r\n\r\n"
	if err := resp.Header.Read(bufioReader(raw)); err != nil {
		t.Fatal(err)
	}
	cleanResponse(&resp.Header, "", false)
	out := resp.Header.String()
	for _, gone := range []string{"kiosc_session", "X-Hop", "Keep-Alive", "Connection: close"} {
		if strings.Contains(out, gone) {
			t.Errorf("%q still in\n%s", gone, out)
		}
	}
	for _, kept := range []string{"app=1", "X-App: yes"} {
		if !strings.Contains(out, kept) {
			t.Errorf("%q lost from\n%s", kept, out)
		}
	}
	cleanResponse(&resp.Header, "", true)
	if !resp.Header.ConnectionClose() {
		t.Error("a client that asked to close must get Connection: close")
	}
}

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		raw, uuid, rest, query string
		ok                     bool
	}{
		{"/containers/proxy/abc/x/y?q=1", "abc", "/x/y", "q=1", true},
		{"/containers/proxy/abc", "abc", "", "", true},
		{"/containers/proxy/abc?q", "abc", "", "q", true},
		{"/containers/proxy/abc/a%2Fb", "abc", "/a%2Fb", "", true},
		{"/containers/proxy/", "", "", "", false},
		{"/elsewhere", "", "", "", false},
	} {
		r, ok := parseRequest(tc.raw)
		if ok != tc.ok || r.uuid != tc.uuid || r.rest != tc.rest || r.query != tc.query {
			t.Errorf("%s: %+v %v", tc.raw, r, ok)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
