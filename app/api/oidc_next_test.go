package api

import "testing"

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "/",
		"/projects/x?tab=members": "/projects/x?tab=members",
		"/containers/proxy/abc/":  "/containers/proxy/abc/",
		"//evil.example/x":        "/",
		`/\evil.example`:          "/",
		"https://evil.example/":   "/",
		"projects":                "/",
		"/a\r\nSet-Cookie: x=1":   "/",
		"javascript:alert(1)":     "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
