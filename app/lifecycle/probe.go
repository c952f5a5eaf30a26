package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// probePath is the path the probe requests.
func probePath(c *store.Container) string {
	h := c.HeartbeatURL
	if h == "" {
		return "/" + strings.TrimPrefix(c.ContainerPath, "/")
	}
	if strings.Contains(h, "://") {
		if i := strings.Index(h[strings.Index(h, "://")+3:], "/"); i >= 0 {
			return h[strings.Index(h, "://")+3+i:]
		}
		return "/"
	}
	return "/" + strings.TrimPrefix(h, "/")
}

// probeURL is what the probe requests: the app sees the public prefix unless strip_prefix is set (or in subdomain
// mode, where apps are served at the root of their origin).
func (m *Manager) probeURL(addr string, c *store.Container) string {
	path := probePath(c)
	if !c.StripPrefix && !m.o.Apps.AtRoot() {
		bp := ProxyPrefix + c.UUID
		if !strings.HasPrefix(path, bp) {
			path = bp + path
		}
	}
	return "http://" + addr + path
}

// probe requests target until it answers 2xx or 3xx (redirects not followed): quickly at first, then every second.
func (m *Manager) probe(ctx context.Context, target, dockerID string, deadline time.Time) error {
	hc := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	delay := 50 * time.Millisecond
	for i := 0; ; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		req.Header.Set("User-Agent", "kiosc-probe")
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if info, err := m.dk.Inspect(ctx, dockerID); err == nil && !info.Running {
			return errDied
		} else if docker.IsNotFound(err) {
			return errDied
		} else if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%w: %w", errUnreachable, err)
		}
		if time.Now().After(deadline) {
			return errors.New("startup timeout")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(delay, time.Until(deadline)+10*time.Millisecond)):
		}
		delay = min(delay*2, time.Second)
	}
}

// errDied is returned by the probe when the container stopped before answering.
var errDied = errors.New("the container stopped before the app answered")

// errUnreachable is returned by the probe when Docker does not answer about the container.
var errUnreachable = errors.New("Docker does not answer")
