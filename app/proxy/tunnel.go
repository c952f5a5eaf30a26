package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/bihealth/kiosc/app/auth"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
	"github.com/bihealth/kiosc/app/web"
)

// tunnelBufferSize is the copy buffer of each tunnel direction; it bounds the memory of idle tunnels.
const tunnelBufferSize = 16 << 10

// touchEvery throttles activity reports of a busy tunnel.
const touchEvery = time.Second

// tunnel is one websocket connection relayed byte for byte between a browser and an app.
type tunnel struct {
	container string
	project   string
	addr      string // the app's address the tunnel was opened to
	v         visitor
	up        net.Conn
	// expiry closes the tunnel of a link holder when the link expires (nil otherwise).
	expiry    *time.Timer
	touch     func()
	lastTouch atomic.Int64

	mu     sync.Mutex
	client net.Conn
	closed bool
}

// tunnel hands the upgrade to the app: it dials first (so failures are ordinary HTTP errors), writes the handshake
// request, and then relays the connection, including the app's 101 answer, byte for byte.
func (p *Proxy) tunnel(c *fiber.Ctx, req request, t Target, v visitor) error {
	// Browsers send cookies with cross-site websocket handshakes; only kiosc's own origin (where the app's pages
	// are served) may open tunnels.
	if !web.SameOrigin(c, p.opt.BaseURL) {
		return web.Forbidden("cross-origin websocket refused")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), p.opt.DialTimeout)
	defer cancel()
	up, err := (&net.Dialer{Timeout: p.opt.DialTimeout, KeepAlive: 30 * time.Second}).DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return p.upstreamFailed(c, req, t, false, err)
	}
	p.prepareHeaders(c, req, t, v, true)
	h := &c.Request().Header
	h.SetRequestURI(upstreamURI(req, t))
	bw := bufio.NewWriterSize(up, 4<<10)
	err = h.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		_ = up.Close()
		return p.upstreamFailed(c, req, t, false, err)
	}
	tn := &tunnel{container: t.ContainerUUID, project: t.ProjectUUID, addr: t.Addr, v: v, up: up}
	containers := p.opt.Containers
	tn.touch = func() { containers.Touch(tn.container) }
	if !p.tunnels.add(tn) {
		_ = up.Close()
		return web.Unavailable("shutting_down", "kiosc is shutting down", 5)
	}
	if v.link != nil && !v.link.expires.IsZero() {
		tn.expiry = time.AfterFunc(time.Until(v.link.expires), tn.close)
	}
	c.Context().HijackSetNoResponse(true)
	// With KeepHijackedConns the server lets go of the connection (and its read buffer) as soon as the hijack
	// handler returns, so the tunnel runs on in its own goroutine on the bare socket; otherwise it must run inside
	// the handler, which owns the connection until it returns.
	detached := c.App().Server().KeepHijackedConns
	// The handler runs after this request has finished; c must not be used in it.
	c.Context().Hijack(func(hijacked net.Conn) {
		client, early := detach(hijacked)
		if !detached {
			defer p.tunnels.remove(tn)
			tn.run(client, early)
			return
		}
		go func() {
			defer p.tunnels.remove(tn)
			tn.run(client, early)
		}()
	})
	return nil
}

// detach returns the bare socket under the server's hijacked connection and the bytes the browser sent after its
// handshake that the server had already read into its buffer (usually none). Reading them through the wrapper with
// an expired deadline returns what is buffered and then a timeout without touching the socket.
func detach(hijacked net.Conn) (net.Conn, []byte) {
	u, ok := hijacked.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return hijacked, nil
	}
	raw := u.UnsafeConn()
	if err := raw.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return hijacked, nil
	}
	var early []byte
	buf := make([]byte, 4<<10)
	for {
		n, err := hijacked.Read(buf)
		early = append(early, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	_ = raw.SetReadDeadline(time.Time{})
	return raw, early
}

// run relays until either side closes or the tunnel is closed, and returns only when both directions have stopped
// and both connections are closed. early holds client bytes that arrived with the handshake.
func (t *tunnel) run(client net.Conn, early []byte) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		_ = t.up.Close()
		_ = client.Close()
		return
	}
	t.client = client
	t.mu.Unlock()
	if len(early) > 0 {
		if _, err := t.up.Write(early); err != nil {
			t.close()
			return
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.pipe(t.up, client)
		t.close()
	}()
	t.pipe(client, t.up)
	t.close()
	<-done
}

// tunnelBuffers lends copy buffers to tunnels while data flows: an idle tunnel waits for its next bytes without
// holding one, so thousands of open websockets cost little memory.
var tunnelBuffers = sync.Pool{New: func() any { b := make([]byte, tunnelBufferSize); return &b }}

// pipe copies src to dst, reporting activity at most once per touchEvery.
func (t *tunnel) pipe(dst, src net.Conn) {
	wait := readableWaiter(src)
	for {
		if wait != nil {
			if err := wait(); err != nil {
				return
			}
		}
		bp := tunnelBuffers.Get().(*[]byte)
		n, err := src.Read(*bp)
		var werr error
		if n > 0 {
			if now := time.Now().UnixNano(); now-t.lastTouch.Load() >= int64(touchEvery) {
				t.lastTouch.Store(now)
				t.touch()
			}
			_, werr = dst.Write((*bp)[:n])
		}
		tunnelBuffers.Put(bp)
		if err != nil || werr != nil {
			return
		}
	}
}

// close ends both directions; closing the connections unblocks pending reads and writes.
func (t *tunnel) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	_ = t.up.Close()
	if t.client != nil {
		_ = t.client.Close()
	}
}

// registry tracks open tunnels by container.
type registry struct {
	mu     sync.Mutex
	closed bool
	byCont map[string]map[*tunnel]struct{}
	n      int
}

func newRegistry() *registry { return &registry{byCont: map[string]map[*tunnel]struct{}{}} }

// add registers t unless the registry has been closed.
func (r *registry) add(t *tunnel) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	set := r.byCont[t.container]
	if set == nil {
		set = map[*tunnel]struct{}{}
		r.byCont[t.container] = set
	}
	set[t] = struct{}{}
	r.n++
	return true
}

func (r *registry) remove(t *tunnel) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.byCont[t.container]
	if _, ok := set[t]; !ok {
		return
	}
	delete(set, t)
	r.n--
	if t.expiry != nil {
		t.expiry.Stop()
	}
	if len(set) == 0 {
		delete(r.byCont, t.container)
	}
}

func (r *registry) has(container string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byCont[container]) > 0
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// containers lists the containers with open tunnels.
func (r *registry) containers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.byCont))
	for c := range r.byCont {
		out = append(out, c)
	}
	return out
}

// list returns the open tunnels.
func (r *registry) list() []*tunnel {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*tunnel, 0, r.n)
	for _, set := range r.byCont {
		for t := range set {
			out = append(out, t)
		}
	}
	return out
}

// closeContainer closes the tunnels of one container, except those to the address keep (when not empty: where the
// container runs now), and returns how many it closed.
func (r *registry) closeContainer(container, keep string) int {
	r.mu.Lock()
	ts := make([]*tunnel, 0, len(r.byCont[container]))
	for t := range r.byCont[container] {
		if keep == "" || t.addr != keep {
			ts = append(ts, t)
		}
	}
	r.mu.Unlock()
	for _, t := range ts {
		t.close()
	}
	return len(ts)
}

// closeAll closes every tunnel and refuses new ones.
func (r *registry) closeAll() int {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	ts := r.list()
	for _, t := range ts {
		t.close()
	}
	return len(ts)
}

// watch closes tunnels of containers that leave running (from the bus, and as a safety net by asking the lifecycle
// every RecheckInterval) and tunnels whose user's session or token is no longer valid.
func (p *Proxy) watch() {
	defer close(p.done)
	ticker := time.NewTicker(p.opt.RecheckInterval)
	defer ticker.Stop()
	var sub *events.Subscription
	subscribe := func() {
		if p.opt.Bus == nil {
			return
		}
		sub = p.opt.Bus.Subscribe(1024, func(e events.Event) bool {
			return e.Type == events.TypeContainerState || e.Type == events.TypeTimelineEvent
		})
	}
	subscribe()
	defer func() {
		if sub != nil {
			p.opt.Bus.Unsubscribe(sub)
		}
	}()
	// soon re-checks the tunnels shortly after a change of users or roles (coalescing a burst, e.g. a SODAR sync).
	soon := time.NewTimer(time.Hour)
	soon.Stop()
	defer soon.Stop()
	for {
		var evc <-chan events.Event
		var dropped <-chan struct{}
		if sub != nil {
			evc, dropped = sub.C(), sub.Done()
		}
		select {
		case <-p.stop:
			return
		case <-soon.C:
			p.recheck()
		case e := <-evc:
			if e.Type == events.TypeTimelineEvent {
				if rightsChanged(e.Data) {
					// A revoked link, or an access level or site setting changed: forget what was resolved before.
					p.links.forget("")
					if p.tunnels.len() > 0 {
						soon.Reset(100 * time.Millisecond)
					}
				}
				continue
			}
			st := stateOf(e.Data)
			if slices.Contains(gone, st) {
				p.transport.closeIdleAll()
			}
			if !p.tunnels.has(e.Key) {
				continue
			}
			if st != "" && st != store.StateRunning {
				// Events reach this goroutine late under load: an app that runs again by now keeps the tunnels
				// opened to it since; those to where it ran before go.
				keep := ""
				if now, err := p.opt.Containers.Upstream(context.Background(), e.Key); err == nil && now.State == store.StateRunning {
					keep = now.Addr
				}
				if n := p.tunnels.closeContainer(e.Key, keep); n > 0 {
					p.opt.Log.Info("proxy: closed tunnels of a container that is no longer running",
						"container", e.Key, "state", st, "tunnels", n)
				}
			}
		case <-dropped:
			// Events may have been lost: resubscribe and check every container with tunnels now.
			subscribe()
			p.recheck()
		case <-ticker.C:
			p.recheck()
		}
	}
}

// gone are the states of a container whose app has stopped or is stopping.
var gone = []store.State{store.StateStopping, store.StateStopped, store.StateExited, store.StateFailed, store.StateDeleting,
	store.StateDeleted, store.StateNotFound}

// rightsChanged reports a timeline event that may change who may use which app: users, roles, projects, a sync.
func rightsChanged(data any) bool {
	var v struct {
		Event string `json:"event_name"`
	}
	b, err := json.Marshal(data)
	if err != nil || json.Unmarshal(b, &v) != nil {
		return false
	}
	for _, prefix := range []string{"user_", "role_", "project_", "sodar_", "link_", "container_access", "site_settings"} {
		if strings.HasPrefix(v.Event, prefix) {
			return true
		}
	}
	return false
}

// stateOf extracts "state" from a container.state event's data, whatever Go type carries it.
func stateOf(data any) store.State {
	var v struct {
		State store.State `json:"state"`
	}
	switch d := data.(type) {
	case map[string]any:
		s, _ := d["state"].(string)
		return store.State(s)
	case json.RawMessage:
		_ = json.Unmarshal(d, &v)
		return v.State
	}
	b, err := json.Marshal(data)
	if err != nil {
		return ""
	}
	_ = json.Unmarshal(b, &v)
	return v.State
}

// recheck closes tunnels whose container is no longer running or whose user may no longer use them.
func (p *Proxy) recheck() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.tokens.forget("")
	p.sessions.forget("")
	p.links.forget("")
	targets := map[string]Target{}
	for _, uuid := range p.tunnels.containers() {
		t, err := p.opt.Containers.Upstream(ctx, uuid)
		switch {
		case (err == nil && t.State != store.StateRunning) || errors.Is(err, store.ErrNotFound):
			p.tunnels.closeContainer(uuid, "")
		case err == nil:
			p.tunnels.closeContainer(uuid, t.Addr)
		}
		if err == nil {
			targets[uuid] = t
		}
	}
	// Rights are checked with the user as the store knows it now: a superuser demoted while a tunnel is open keeps
	// it only where a project role still allows it. Links are looked up again (a revoked one is gone), and the
	// access level and site setting are those of now.
	type current struct {
		u  *store.User
		ok bool
	}
	users := map[*auth.Identity]current{}
	now := time.Now()
	for _, tn := range p.tunnels.list() {
		t, known := targets[tn.container]
		if !known {
			continue // Docker state unknown for now: the next check decides
		}
		v := visitor{}
		ok := true
		switch {
		case tn.v.id != nil:
			cur, seen := users[tn.v.id]
			if !seen {
				cur.u, cur.ok = p.opt.Auth.CurrentUser(ctx, tn.v.id)
				users[tn.v.id] = cur
			}
			ok = cur.ok
			v.id = &auth.Identity{User: cur.u}
		case tn.v.link != nil:
			g, err := p.grant(ctx, tn.v.link.id, tn.container, now)
			ok = err == nil && g != nil
			v.link = g
		}
		if ok {
			ok = p.admit(ctx, &v, t) == nil
		}
		if !ok {
			p.opt.Log.Info("proxy: closed a tunnel whose visitor may no longer use it", "container", tn.container,
				"visitor", tn.v.name())
			tn.close()
		}
	}
}
