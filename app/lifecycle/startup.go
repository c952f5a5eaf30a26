package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/procnet"
	"github.com/bihealth/kiosc/app/store"
)

// Startup diagnostics: while a started app does not answer its readiness probe, kiosc looks into why, and says so in
// the probe step's progress (the lobby and the container page show it) and, when the startup timeout ends the wait,
// in the failure's message. It tells which port it asks on and what came back, which TCP ports the image exposes
// and (where kiosc runs on the Docker host) which ports the app's processes listen on.

// diagnoseEvery is how often a silent app is looked into again once the first look is due.
const diagnoseEvery = 10 * time.Second

// diagnoseAfter is how long after its start a silent app is first looked into: 30 s, or a third of a shorter
// startup timeout, so that even a short timeout shows a finding before it ends the wait.
func diagnoseAfter(timeout time.Duration) time.Duration {
	return max(min(30*time.Second, timeout/3), time.Second)
}

// startupWatch looks into a starting app in the background while the probe waits for it, and publishes what it finds
// as the probe step's progress.
type startupWatch struct {
	p      *pass
	info   *docker.ContainerInfo
	target string
	mu     sync.Mutex
	status store.ProbeStatus
	cancel context.CancelFunc
	done   chan struct{}
}

// watchStartup publishes the probe step (where the probe asks, until when) and starts looking into the app once the
// first look is due. stop must be called before the pass goes on.
func (p *pass) watchStartup(ctx context.Context, info *docker.ContainerInfo, target string, started time.Time, timeout time.Duration) *startupWatch {
	c := p.c
	w := &startupWatch{p: p, info: info, target: target, done: make(chan struct{})}
	w.status = store.ProbeStatus{Port: c.ContainerPort, Path: probePath(c), StartedAt: started.UTC(),
		Deadline: started.Add(timeout).UTC(), TimeoutSeconds: int(timeout / time.Second), ExposedPorts: orEmpty(c.ImagePorts),
		ListeningPorts: []int{}, LoopbackPorts: []int{}}
	w.publish(ctx)
	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	go w.run(wctx, started.Add(diagnoseAfter(timeout)))
	return w
}

func (w *startupWatch) run(ctx context.Context, first time.Time) {
	defer close(w.done)
	timer := time.NewTimer(max(time.Until(first), 0))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		w.diagnose(ctx)
		if ctx.Err() != nil {
			return
		}
		w.publish(ctx)
		timer.Reset(diagnoseEvery)
	}
}

// stop ends the background looks and waits for them.
func (w *startupWatch) stop() {
	w.cancel()
	<-w.done
}

// publish records the findings as the probe step's progress.
func (w *startupWatch) publish(ctx context.Context) {
	w.mu.Lock()
	s := w.status
	w.mu.Unlock()
	w.p.step(ctx, "probe", probeMessage(s), &store.Progress{Probe: &s})
}

// timeoutMessage looks into the app one last time (before it is stopped) and says why the wait ended.
func (w *startupWatch) timeoutMessage(ctx context.Context, timeout time.Duration) string {
	w.diagnose(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	return startupVerdict(w.status, timeout)
}

// diagnose asks the app once and reads the ports its processes listen on.
func (w *startupWatch) diagnose(ctx context.Context) {
	result := askOnce(ctx, w.target)
	listening, loopback := []int{}, []int{}
	socks, err := w.listening(ctx)
	if err == nil {
		for _, s := range socks {
			listening = append(listening, s.Port)
			if s.Loopback {
				loopback = append(loopback, s.Port)
			}
		}
	}
	now := time.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.LastResult, w.status.CheckedAt = result, &now
	w.status.ListeningKnown, w.status.ListeningPorts, w.status.LoopbackPorts = err == nil, listening, loopback
	w.status.Hint = startupHint(w.status)
}

// listening reads the TCP ports the container's processes listen on from the Docker host's /proc; procnet.ErrUnknown
// where kiosc cannot tell.
func (w *startupWatch) listening(ctx context.Context) ([]procnet.Socket, error) {
	pid := w.info.Pid
	if pid == 0 {
		fresh, err := w.p.m.dk.Inspect(ctx, w.info.ID)
		if err != nil {
			return nil, procnet.ErrUnknown
		}
		pid = fresh.Pid
	}
	return procnet.Listening("", pid, w.info.ID)
}

// askOnce requests target once, like the probe, and says what came back.
func askOnce(ctx context.Context, target string) string {
	hc := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "the probe address is not valid"
	}
	req.Header.Set("User-Agent", "kiosc-probe")
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close()
		return "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer within 2 seconds"
	}
	return "the connection closed without an answer"
}

// httpStatus returns the status code of a LastResult "HTTP <code>" (0 for other results).
func httpStatus(result string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(result, "HTTP "))
	if err != nil || !strings.HasPrefix(result, "HTTP ") {
		return 0
	}
	return n
}

// probeMessage is the probe step's message: where kiosc waits, or what it found out.
func probeMessage(s store.ProbeStatus) string {
	if s.Hint != "" {
		return s.Hint
	}
	return fmt.Sprintf("waiting for the app to answer on port %d at %s", s.Port, s.Path)
}

// startupHint says in words what the last look found, while the app is still given time.
func startupHint(s store.ProbeStatus) string {
	if code := httpStatus(s.LastResult); code != 0 {
		if code >= 200 && code < 400 {
			return fmt.Sprintf("the app answers on port %d; it is about to open", s.Port)
		}
		return fmt.Sprintf("the app answers on port %d, but with HTTP %d at %s; the readiness probe needs a 2xx or 3xx "+
			"answer: check the app path and the readiness probe", s.Port, code, s.Path)
	}
	msg := fmt.Sprintf("no answer yet on port %d (%s)", s.Port, s.LastResult)
	if clauses := portClauses(s); len(clauses) > 0 {
		msg += "; " + strings.Join(clauses, "; ")
	}
	return msg
}

// startupVerdict is the state message of an app that did not answer within its startup timeout.
func startupVerdict(s store.ProbeStatus, timeout time.Duration) string {
	if code := httpStatus(s.LastResult); code >= 400 || (code != 0 && code < 200) {
		return fmt.Sprintf("the app answered on port %d with HTTP %d at %s until the startup timeout of %s; the readiness "+
			"probe needs a 2xx or 3xx answer: check the app path and the readiness probe", s.Port, code, s.Path, spokenDuration(timeout))
	}
	msg := fmt.Sprintf("no answer on port %d after %s", s.Port, spokenDuration(timeout))
	if clauses := portClauses(s); len(clauses) > 0 {
		msg += "; " + strings.Join(clauses, "; ")
	}
	return msg
}

// portClauses compares the probed port with what the image exposes and the app listens on, and advises a port when
// one stands out.
func portClauses(s store.ProbeStatus) []string {
	var out []string
	if len(s.ExposedPorts) > 0 && !slices.Contains(s.ExposedPorts, s.Port) {
		out = append(out, "the image exposes "+portList(s.ExposedPorts))
	}
	reachable := []int{}
	for _, p := range s.ListeningPorts {
		if !slices.Contains(s.LoopbackPorts, p) {
			reachable = append(reachable, p)
		}
	}
	switch {
	case !s.ListeningKnown:
	case slices.Contains(s.LoopbackPorts, s.Port):
		out = append(out, fmt.Sprintf("the app listens on port %d only inside the container (on 127.0.0.1 or ::1), where "+
			"kiosc cannot reach it: make it listen on all addresses (0.0.0.0)", s.Port))
	case len(s.ListeningPorts) == 0:
		out = append(out, "nothing in the container listens on a TCP port")
	case len(reachable) == 0:
		out = append(out, "the app listens only inside the container (on 127.0.0.1 or ::1), where kiosc cannot reach it: "+
			"make it listen on all addresses (0.0.0.0)")
	case !slices.Contains(reachable, s.Port):
		out = append(out, "the app listens on "+portList(reachable))
	}
	candidate := 0
	switch {
	case s.ListeningKnown && len(reachable) == 1:
		candidate = reachable[0]
	case !s.ListeningKnown && len(s.ExposedPorts) == 1:
		candidate = s.ExposedPorts[0]
	}
	if candidate != 0 && candidate != s.Port {
		out = append(out, fmt.Sprintf("set the container port to %d", candidate))
	}
	return out
}

// portList is "port 8080", "ports 80 and 443" or "ports 80, 443 and 8080".
func portList(ports []int) string {
	words := make([]string, len(ports))
	for i, p := range ports {
		words[i] = strconv.Itoa(p)
	}
	if len(words) == 1 {
		return "port " + words[0]
	}
	return "ports " + strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// spokenDuration is a duration in words: "90 seconds" (under 2 minutes), "5 minutes", "1 hour", "2 hours 30 minutes".
func spokenDuration(d time.Duration) string {
	d = d.Round(time.Second)
	unit := func(n int64, word string) string {
		if n == 1 {
			return "1 " + word
		}
		return strconv.FormatInt(n, 10) + " " + word + "s"
	}
	switch {
	case d < 2*time.Minute:
		return unit(int64(d/time.Second), "second")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d < 2*time.Hour && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d < 2*time.Hour:
		return unit(int64(d/time.Minute), "minute") + " " + unit(int64(d%time.Minute/time.Second), "second")
	}
	return unit(int64(d/time.Hour), "hour") + " " + unit(int64(d%time.Hour/time.Minute), "minute")
}

// orEmpty is ports, or an empty list for nil.
func orEmpty(ports []int) []int {
	if ports == nil {
		return []int{}
	}
	return ports
}
