package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing/fstest"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/google/uuid"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/settings"
	"github.com/bihealth/kiosc/app/store"
)

// lifecycleBench is a manager on the real engine with a store in a temporary directory and its own instance ID.
type lifecycleBench struct {
	dir     string
	st      *store.Store
	dk      *docker.Client
	bus     *events.Bus
	m       *lifecycle.Manager
	image   string
	project *store.Project
	user    *store.User
	opts    lifecycle.Options
	cancel  context.CancelFunc
	done    chan struct{}
}

func setupLifecycle(ctx context.Context, run bool) (*lifecycleBench, error) {
	image, err := benchTestAppImage(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kiosc-bench-lifecycle-")
	if err != nil {
		return nil, err
	}
	b := &lifecycleBench{dir: dir, image: image, bus: events.New(nil)}
	if b.st, err = openStore(ctx, dir); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if b.dk, err = docker.New(); err != nil {
		return nil, err
	}
	keys, _ := secrets.New([]byte("benchmark key benchmark key benchmark key"))
	b.project = &store.Project{Title: "bench", Type: store.TypeProject, Source: "local"}
	if err := b.st.CreateProject(ctx, b.project); err != nil {
		return nil, err
	}
	b.user = &store.User{Username: "bench", IsActive: true, Source: store.SourceLocal}
	if err := b.st.CreateUser(ctx, b.user); err != nil {
		return nil, err
	}
	b.opts = lifecycle.Options{InstanceID: "bench-" + uuid.NewString(), NetworkMode: lifecycle.NetworkDefaultBridge,
		HostBindIP: netip.MustParseAddr("127.0.0.1"), DataDir: dir, BaseURL: &url.URL{Scheme: "http", Host: "kiosc.bench"},
		ResyncInterval: time.Hour, DefaultStartupTimeout: time.Minute, LogRetentionLines: 1000, StopTimeout: 2 * time.Second}
	b.m = lifecycle.New(b.st, b.dk, keys, b.bus, nil, log, b.opts)
	if run {
		rctx, cancel := context.WithCancel(context.Background())
		b.cancel, b.done = cancel, make(chan struct{})
		go func() { defer close(b.done); _ = b.m.Run(rctx) }()
	}
	return b, nil
}

func (b *lifecycleBench) close() {
	if b.cancel != nil {
		b.cancel()
		<-b.done
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if list, err := b.dk.List(ctx, lifecycle.LabelInstance+"="+b.opts.InstanceID); err == nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, s := range list {
			wg.Add(1)
			sem <- struct{}{}
			go func() { defer wg.Done(); _ = b.dk.Remove(ctx, s.ID); <-sem }()
		}
		wg.Wait()
	}
	_ = b.dk.RemoveNetworks(ctx, lifecycle.LabelInstance+"="+b.opts.InstanceID)
	_ = b.dk.Close()
	_ = b.st.Close()
	_ = os.RemoveAll(b.dir)
}

func (b *lifecycleBench) create(ctx context.Context, title string) (*store.Container, error) {
	port := 8080
	return b.m.Create(ctx, b.user, b.project, &lifecycle.Input{Patch: settings.Patch{Title: &title, Image: &b.image,
		ContainerPort: &port, HeartbeatURL: ptrTo("/health")}})
}

func ptrTo[T any](v T) *T { return &v }

// waitState waits for a container.state event of id in state.
func waitState(ctx context.Context, sub *events.Subscription, id string, state store.State) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sub.Done():
			return fmt.Errorf("subscription dropped")
		case e := <-sub.C():
			if v, ok := e.Data.(lifecycle.View); ok && v.UUID == id && v.State == state {
				return nil
			}
		}
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// benchLifecycleEvents measures how long a change made directly in Docker (docker pause) takes to arrive as a
// container.state message on a client of /api/v1/ws.
func benchLifecycleEvents(ctx context.Context) ([]row, error) {
	b, err := setupLifecycle(ctx, true)
	if err != nil {
		return nil, err
	}
	defer b.close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, _ := secrets.New([]byte("benchmark key benchmark key benchmark key"))
	authSvc := auth.NewService(b.st, keys, log, auth.Options{SessionLifetime: time.Hour, LocalLogin: true})
	b.user.IsSuperuser = true
	if err := b.st.UpdateUser(ctx, b.user); err != nil {
		return nil, err
	}
	_, token, err := authSvc.CreateToken(ctx, b.user, "bench", 0)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	srv := server.New(server.Deps{Log: log, Auth: authSvc, Metrics: metrics.New("bench", nil),
		SPA: fstest.MapFS{"index.html": {Data: []byte("kiosc")}},
		API: []server.Module{&api.Live{Bus: b.bus, Checker: access.NewChecker(b.st), Auth: authSvc, BaseURL: base, Log: log, Version: "bench"}}})
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+ln.Addr().String()+"/api/v1/ws",
		http.Header{"Authorization": {"Token " + token}})
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial /api/v1/ws: %w", err)
	}
	defer conn.Close()
	next := func(id string, state store.State) error {
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return err
			}
			var ev struct {
				Type string
				Data struct {
					UUID  string
					State store.State
				}
			}
			if json.Unmarshal(msg, &ev) == nil && ev.Type == events.TypeContainerState && ev.Data.UUID == id && ev.Data.State == state {
				return nil
			}
		}
	}

	c, err := b.create(ctx, "events")
	if err != nil {
		return nil, err
	}
	if _, err := b.m.Start(ctx, b.user, c.UUID); err != nil {
		return nil, err
	}
	if err := next(c.UUID, store.StateRunning); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	c, _ = b.st.GetContainer(ctx, c.UUID)
	// kiosc wants the app running, so after each pause done behind its back it unpauses the container itself;
	// the next round starts once it runs again.
	var lat []time.Duration
	for range 30 {
		t0 := time.Now()
		if err := b.dk.Pause(ctx, c.DockerID); err != nil {
			return nil, err
		}
		if err := next(c.UUID, store.StatePaused); err != nil {
			return nil, fmt.Errorf("waiting for paused: %w", err)
		}
		lat = append(lat, time.Since(t0))
		if err := next(c.UUID, store.StateRunning); err != nil {
			return nil, fmt.Errorf("waiting for running: %w", err)
		}
	}
	return []row{
		{"median", fmt.Sprintf("%.1f ms", ms(percentile(lat, 0.5))), fmt.Sprintf("%d changes (docker pause outside kiosc)", len(lat))},
		{"p95", fmt.Sprintf("%.1f ms", ms(percentile(lat, 0.95))), "docker pause issued → container.state on /api/v1/ws"},
	}, nil
}

// benchLifecycleResync measures one periodic resync with 200 containers in sync (the common case) and one full
// resync that inspects every container (what kiosc does at startup), with the number of Docker API calls.
func benchLifecycleResync(ctx context.Context) ([]row, error) {
	b, err := setupLifecycle(ctx, false)
	if err != nil {
		return nil, err
	}
	defer b.close()
	const n = 200
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := func() error {
				c, err := b.create(ctx, fmt.Sprintf("resync %03d", i))
				if err != nil {
					return err
				}
				labels := map[string]string{lifecycle.LabelManaged: "true", lifecycle.LabelInstance: b.opts.InstanceID,
					lifecycle.LabelContainer: c.UUID, lifecycle.LabelProject: c.ProjectUUID}
				id, err := b.dk.Create(ctx, docker.ContainerSpec{Name: fmt.Sprintf("kiosc-%s-resync", c.UUID[:8]), Image: b.image,
					Labels: labels, ContainerPort: 8080, Memory: 16 << 20})
				if err != nil {
					return err
				}
				st := c.ContainerState
				st.State, st.StateReason, st.DockerID, st.DockerState = store.StateStopped, "user", id, "created"
				_, err = b.st.UpdateContainerState(ctx, c.UUID, st, c.DesiredState, false)
				return err
			}()
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	calls := b.dk.Calls()
	t0 := time.Now()
	b.m.Resync(ctx, false)
	if err := b.m.WaitIdle(ctx); err != nil {
		return nil, err
	}
	periodic, periodicCalls := time.Since(t0), b.dk.Calls()-calls
	calls = b.dk.Calls()
	t0 = time.Now()
	b.m.Resync(ctx, true)
	if err := b.m.WaitIdle(ctx); err != nil {
		return nil, err
	}
	full, fullCalls := time.Since(t0), b.dk.Calls()-calls
	return []row{
		{"periodic resync (all in sync)", fmt.Sprintf("%.1f ms", ms(periodic)), fmt.Sprintf("%d containers, %d Docker API calls", n, periodicCalls)},
		{"full resync (inspect each)", fmt.Sprintf("%.0f ms", ms(full)), fmt.Sprintf("%d containers, %d Docker API calls", n, fullCalls)},
	}, nil
}

// benchLifecycleStart compares kiosc's start (request → running, including image check, create, start, probe) with
// the same steps done directly on the engine (create, start, poll /health), for the test app.
func benchLifecycleStart(ctx context.Context) ([]row, error) {
	b, err := setupLifecycle(ctx, true)
	if err != nil {
		return nil, err
	}
	defer b.close()
	const rounds = 5
	var plain, viaKiosc []time.Duration
	for i := range rounds {
		// Plain: what `docker run -d -p 127.0.0.1::8080` followed by polling the app does.
		t0 := time.Now()
		id, err := b.dk.Create(ctx, docker.ContainerSpec{Image: b.image, ContainerPort: 8080, PublishIP: netip.MustParseAddr("127.0.0.1"),
			Labels: map[string]string{lifecycle.LabelInstance: b.opts.InstanceID}})
		if err != nil {
			return nil, err
		}
		if err := b.dk.Start(ctx, id); err != nil {
			return nil, err
		}
		info, err := b.dk.Inspect(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := pollHealth(ctx, fmt.Sprintf("http://127.0.0.1:%d/health", info.HostPort)); err != nil {
			return nil, err
		}
		plain = append(plain, time.Since(t0))
		_ = b.dk.Remove(ctx, id)

		c, err := b.create(ctx, fmt.Sprintf("start %d", i))
		if err != nil {
			return nil, err
		}
		sub := b.bus.Subscribe(1024, func(e events.Event) bool { return e.Type == events.TypeContainerState && e.Key == c.UUID })
		t0 = time.Now()
		if _, err := b.m.Start(ctx, b.user, c.UUID); err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = waitState(wctx, sub, c.UUID, store.StateRunning)
		cancel()
		b.bus.Unsubscribe(sub)
		if err != nil {
			return nil, err
		}
		viaKiosc = append(viaKiosc, time.Since(t0))
		if _, err := b.m.Delete(ctx, b.user, c.UUID); err != nil {
			return nil, err
		}
		if err := b.m.WaitIdle(ctx); err != nil { // the removal must not slow the next plain round
			return nil, err
		}
	}
	pm, km := percentile(plain, 0.5), percentile(viaKiosc, 0.5)
	return []row{
		{"plain create+start+first 200", fmt.Sprintf("%.0f ms", ms(pm)), fmt.Sprintf("median of %d", rounds)},
		{"kiosc start → running", fmt.Sprintf("%.0f ms", ms(km)), "request → container.state running"},
		{"overhead", fmt.Sprintf("%.0f ms", ms(km-pm)), "negative = within the noise of a shared machine"},
	}, nil
}

func pollHealth(ctx context.Context, u string) error {
	deadline := time.Now().Add(30 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		if resp, err := hc.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer", u)
}

// benchTestAppImage builds the test app image like the test helpers (tag = hash of the binary) unless it exists.
func benchTestAppImage(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "kiosc-bench-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(dir, "testapp"), "./app/testbed/testapp")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build testapp: %w: %s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "testapp"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bin)
	ref := "kiosc-testapp:" + hex.EncodeToString(sum[:])[:16]
	if exec.CommandContext(ctx, "docker", "image", "inspect", ref).Run() == nil {
		return ref, nil
	}
	df := "FROM scratch\nCOPY testapp /testapp\nEXPOSE 8080\nENTRYPOINT [\"/testapp\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "docker", "build", "-q", "-t", ref, "--label", "kiosc.test=true", dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("docker build: %w: %s", err, out)
	}
	return ref, nil
}
