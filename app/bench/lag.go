package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing/fstest"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/bihealth/kiosc/app/access"
	"github.com/bihealth/kiosc/app/api"
	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/lifecycle"
	"github.com/bihealth/kiosc/app/metrics"
	"github.com/bihealth/kiosc/app/secrets"
	"github.com/bihealth/kiosc/app/server"
	"github.com/bihealth/kiosc/app/store"
)

// State-lag targets for changes made outside kiosc (issue 13).
const (
	lagTargetMedian = 200 * time.Millisecond
	lagTargetP95    = time.Second
	lagRounds       = 10
)

// stateMsg is a container.state message as a client of /api/v1/ws received it.
type stateMsg struct {
	uuid  string
	state store.State
	at    time.Time
}

// benchStateLag measures how long after a change made directly in Docker (docker kill, docker stop, docker rm -f)
// kiosc's live channel shows it: from the time of Docker's own event (die, destroy) to the container.state message
// on a client of /api/v1/ws, and from the moment the command was issued.
func benchStateLag(ctx context.Context) ([]row, error) {
	b, err := setupLifecycle(ctx, true)
	if err != nil {
		return nil, err
	}
	defer b.close()
	msgs, stop, err := liveStates(ctx, b)
	if err != nil {
		return nil, err
	}
	defer stop()

	// Docker's own time of each event, by Docker ID and action.
	var mu sync.Mutex
	seen := map[string]time.Time{}
	ectx, cancel := context.WithCancel(ctx)
	defer cancel()
	evc, _ := b.dk.Events(ectx, time.Time{}, lifecycle.LabelInstance+"="+b.opts.InstanceID)
	go func() {
		for e := range evc {
			mu.Lock()
			seen[e.ContainerID+"/"+e.Action] = e.Time
			mu.Unlock()
		}
	}()
	eventTime := func(id, action string) (time.Time, error) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			t, ok := seen[id+"/"+action]
			mu.Unlock()
			if ok {
				return t, nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Time{}, fmt.Errorf("no %s event for %.12s", action, id)
	}
	next := func(id string, state store.State) (time.Time, error) {
		timeout := time.After(time.Minute)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return time.Time{}, fmt.Errorf("live channel closed")
				}
				if m.uuid == id && m.state == state {
					return m.at, nil
				}
			case <-timeout:
				return time.Time{}, fmt.Errorf("no container.state %s for %s", state, id)
			}
		}
	}

	c, err := b.create(ctx, "lag")
	if err != nil {
		return nil, err
	}
	type change struct {
		name, action string
		state        store.State
		do           func(id string) error
		fromEvent    []time.Duration
		fromCommand  []time.Duration
	}
	changes := []*change{
		{name: "docker kill", action: "die", state: store.StateExited,
			do: func(id string) error { return b.dk.Kill(ctx, id) }},
		{name: "docker stop", action: "die", state: store.StateExited,
			do: func(id string) error { return b.dk.Stop(ctx, id, 10*time.Second) }},
		{name: "docker rm -f", action: "destroy", state: store.StateNotFound,
			do: func(id string) error { return b.dk.Remove(ctx, id) }},
	}
	for range lagRounds {
		for _, ch := range changes {
			if _, err := b.m.Start(ctx, b.user, c.UUID); err != nil {
				return nil, err
			}
			if _, err := next(c.UUID, store.StateRunning); err != nil {
				return nil, fmt.Errorf("start: %w", err)
			}
			if err := b.m.WaitIdle(ctx); err != nil {
				return nil, err
			}
			rec, err := b.st.GetContainer(ctx, c.UUID)
			if err != nil {
				return nil, err
			}
			t0 := time.Now()
			if err := ch.do(rec.DockerID); err != nil {
				return nil, fmt.Errorf("%s: %w", ch.name, err)
			}
			shown, err := next(c.UUID, ch.state)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ch.name, err)
			}
			happened, err := eventTime(rec.DockerID, ch.action)
			if err != nil {
				return nil, err
			}
			ch.fromEvent = append(ch.fromEvent, shown.Sub(happened))
			ch.fromCommand = append(ch.fromCommand, shown.Sub(t0))
		}
	}
	var rows []row
	for _, ch := range changes {
		med, p95 := percentile(ch.fromEvent, 0.5), percentile(ch.fromEvent, 0.95)
		verdict := "holds"
		if med >= lagTargetMedian || p95 >= lagTargetP95 {
			verdict = "MISSED"
		}
		rows = append(rows,
			row{ch.name + " → " + string(ch.state) + ", median", fmt.Sprintf("%.1f ms", ms(med)),
				fmt.Sprintf("Docker's %s event → container.state on /api/v1/ws; %d rounds", ch.action, len(ch.fromEvent))},
			row{ch.name + " → " + string(ch.state) + ", p95", fmt.Sprintf("%.1f ms", ms(p95)),
				fmt.Sprintf("target median < %v, p95 < %v: %s", lagTargetMedian, lagTargetP95, verdict)},
			row{ch.name + ", from the command", fmt.Sprintf("%.1f ms", ms(percentile(ch.fromCommand, 0.5))),
				fmt.Sprintf("median; p95 %.1f ms (includes Docker's own work: the app's shutdown, the removal)",
					ms(percentile(ch.fromCommand, 0.95)))})
	}
	return rows, nil
}

// liveStates serves /api/v1/ws for b's bus, connects a superuser's client and delivers every container.state
// message with the time it arrived.
func liveStates(ctx context.Context, b *lifecycleBench) (<-chan stateMsg, func(), error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, _ := secrets.New([]byte("benchmark key benchmark key benchmark key"))
	authSvc := auth.NewService(b.st, keys, log, auth.Options{SessionLifetime: time.Hour, LocalLogin: true})
	b.user.IsSuperuser = true
	if err := b.st.UpdateUser(ctx, b.user); err != nil {
		return nil, nil, err
	}
	_, token, err := authSvc.CreateToken(ctx, b.user, "bench", 0)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	srv := server.New(server.Deps{Log: log, Auth: authSvc, Metrics: metrics.New("bench", nil),
		SPA: fstest.MapFS{"index.html": {Data: []byte("kiosc")}},
		API: []server.Module{&api.Live{Bus: b.bus, Checker: access.NewChecker(b.st), Auth: authSvc, BaseURL: base, Log: log, Version: "bench"}}})
	go func() { _ = srv.Serve(ln) }()
	shutdown := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+ln.Addr().String()+"/api/v1/ws",
		http.Header{"Authorization": {"Token " + token}})
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		shutdown()
		return nil, nil, fmt.Errorf("dial /api/v1/ws: %w", err)
	}
	out := make(chan stateMsg, 4096)
	go func() {
		defer close(out)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			at := time.Now()
			var ev struct {
				Type string
				Data struct {
					UUID  string
					State store.State
				}
			}
			if json.Unmarshal(msg, &ev) == nil && ev.Type == events.TypeContainerState {
				out <- stateMsg{uuid: ev.Data.UUID, state: ev.Data.State, at: at}
			}
		}
	}()
	return out, func() { _ = conn.Close(); shutdown() }, nil
}
