package lifecycle

import (
	"testing"
	"time"

	"github.com/bihealth/kiosc/app/store"
)

func TestSpokenDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 15 * time.Second: "15 seconds", 90 * time.Second: "90 seconds",
		5 * time.Minute: "5 minutes", 150 * time.Second: "2 minutes 30 seconds", time.Hour: "1 hour",
		3 * time.Hour: "3 hours", 150 * time.Minute: "2 hours 30 minutes",
	} {
		if got := spokenDuration(d); got != want {
			t.Errorf("spokenDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDiagnoseAfter(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		5 * time.Minute: 30 * time.Second, 30 * time.Second: 10 * time.Second, 2 * time.Second: time.Second,
	} {
		if got := diagnoseAfter(timeout); got != want {
			t.Errorf("diagnoseAfter(%v) = %v, want %v", timeout, got, want)
		}
	}
}

func TestStartupVerdict(t *testing.T) {
	base := store.ProbeStatus{Port: 9999, Path: "/", ListeningPorts: []int{}, LoopbackPorts: []int{}}
	with := func(f func(s *store.ProbeStatus)) store.ProbeStatus {
		s := base
		f(&s)
		return s
	}
	cases := []struct {
		name string
		s    store.ProbeStatus
		want string
	}{
		{"nothing known", with(func(s *store.ProbeStatus) { s.LastResult = "connection refused" }),
			"no answer on port 9999 after 5 minutes"},
		{"exposed elsewhere", with(func(s *store.ProbeStatus) { s.ExposedPorts = []int{7000} }),
			"no answer on port 9999 after 5 minutes; the image exposes port 7000; set the container port to 7000"},
		{"exposed here", with(func(s *store.ProbeStatus) { s.ExposedPorts = []int{9999} }),
			"no answer on port 9999 after 5 minutes"},
		{"listening elsewhere", with(func(s *store.ProbeStatus) {
			s.ExposedPorts, s.ListeningKnown, s.ListeningPorts = []int{80, 443}, true, []int{7000}
		}), "no answer on port 9999 after 5 minutes; the image exposes ports 80 and 443; the app listens on port 7000; set the container port to 7000"},
		{"listening on loopback", with(func(s *store.ProbeStatus) {
			s.ListeningKnown, s.ListeningPorts, s.LoopbackPorts = true, []int{9999}, []int{9999}
		}), "no answer on port 9999 after 5 minutes; the app listens on port 9999 only inside the container (on 127.0.0.1 or ::1), " +
			"where kiosc cannot reach it: make it listen on all addresses (0.0.0.0)"},
		{"listening nowhere", with(func(s *store.ProbeStatus) { s.ListeningKnown = true }),
			"no answer on port 9999 after 5 minutes; nothing in the container listens on a TCP port"},
		{"http error", with(func(s *store.ProbeStatus) { s.LastResult = "HTTP 404"; s.Path = "/lab" }),
			"the app answered on port 9999 with HTTP 404 at /lab until the startup timeout of 5 minutes; the readiness probe " +
				"needs a 2xx or 3xx answer: check the app path and the readiness probe"},
	}
	for _, tc := range cases {
		if got := startupVerdict(tc.s, 5*time.Minute); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	hint := startupHint(with(func(s *store.ProbeStatus) { s.LastResult = "connection refused"; s.ExposedPorts = []int{7000} }))
	if want := "no answer yet on port 9999 (connection refused); the image exposes port 7000; set the container port to 7000"; hint != want {
		t.Errorf("hint %q, want %q", hint, want)
	}
}
