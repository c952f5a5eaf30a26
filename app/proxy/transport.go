package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// The transport to apps. It keeps connections to each app alive between requests and reads the app's response
// header itself, so that the body takes the cheapest way to the browser:
//   - a small body that has arrived with the header is copied into the response and the connection is free at once;
//   - a large body with a Content-Length is spliced from the app's socket to the browser's (splice(2): the bytes do
//     not pass through kiosc's memory);
//   - a chunked or close-delimited body (server-sent events, streamed output) is relayed as it arrives.
//
// Nothing is buffered whole and there are no read or write timeouts: downloads and event streams stay open as long
// as the app writes. Paths and queries reach the app exactly as the browser sent them.
const (
	// upstreamBufferSize is the read buffer of a request to an app: the largest response header accepted from an app,
	// and the largest body that is copied rather than streamed.
	upstreamBufferSize = 32 << 10
	// maxConnsPerApp bounds the connections to one app address; a request waits up to maxConnWait for one.
	maxConnsPerApp = 4096
	maxConnWait    = 10 * time.Second
	// maxIdle is how long an unused connection to an app is kept.
	maxIdle = 30 * time.Second
	// attempts is how often an idempotent request without a body stream is tried when a kept-alive connection turns
	// out to be closed by the app (it may close idle connections at any time).
	attempts = 3
	// maxInterim bounds the 1xx responses before the final one.
	maxInterim = 10
	// maxTrailerBytes bounds the trailer section of a chunked body that is read to reuse the connection.
	maxTrailerBytes = 16 << 10
)

// transport sends requests to apps.
type transport struct {
	dialer net.Dialer
	mu     sync.Mutex // serializes changes of hosts
	hosts  atomic.Pointer[map[string]*appConns]
	stop   chan struct{}
	done   chan struct{}
}

// appConns are the connections to one app address.
type appConns struct {
	addr string
	// open counts the connections, idle or in use.
	open    atomic.Int32
	lastUse atomic.Int64 // unix nanoseconds
	mu      sync.Mutex
	idle    []*appConn // the most recently used last
	removed bool       // dropped from the transport: connections returned to it are closed
}

// appConn is a connection to an app.
type appConn struct {
	net.Conn
	app       *appConns
	idleSince time.Time
}

func newTransport(dialTimeout time.Duration) *transport {
	t := &transport{dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}, stop: make(chan struct{}),
		done: make(chan struct{})}
	t.hosts.Store(&map[string]*appConns{})
	go t.sweep()
	return t
}

// close closes the idle connections and stops the sweeper; connections in use close when their requests end.
func (t *transport) close() {
	close(t.stop)
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range *t.hosts.Load() {
		a.drop()
	}
	t.hosts.Store(&map[string]*appConns{})
}

// sweep closes connections that have been idle for maxIdle and forgets apps that have had none for a while.
func (t *transport) sweep() {
	defer close(t.done)
	tick := time.NewTicker(maxIdle / 3)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case now := <-tick.C:
			t.closeIdle(now)
		}
	}
}

func (t *transport) closeIdle(now time.Time) {
	var unused []string
	for addr, a := range *t.hosts.Load() {
		a.mu.Lock()
		keep := a.idle[:0]
		for _, c := range a.idle {
			if now.Sub(c.idleSince) >= maxIdle {
				c.closeConn()
			} else {
				keep = append(keep, c)
			}
		}
		clear(a.idle[len(keep):])
		a.idle = keep
		a.mu.Unlock()
		if a.open.Load() == 0 && now.UnixNano()-a.lastUse.Load() > int64(10*maxIdle) {
			unused = append(unused, addr)
		}
	}
	if len(unused) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m := make(map[string]*appConns, len(*t.hosts.Load()))
	for addr, a := range *t.hosts.Load() {
		m[addr] = a
	}
	for _, addr := range unused {
		if a := m[addr]; a != nil && a.open.Load() == 0 {
			a.drop()
			delete(m, addr)
		}
	}
	t.hosts.Store(&m)
}

// closeIdleAll closes every idle connection. An app that stopped may hand its address to the next one that starts:
// a kept-alive connection to the old one must not carry a request to the new one.
func (t *transport) closeIdleAll() {
	for _, a := range *t.hosts.Load() {
		a.mu.Lock()
		for _, c := range a.idle {
			c.closeConn()
		}
		clear(a.idle)
		a.idle = a.idle[:0]
		a.mu.Unlock()
	}
}

// app returns the connections to addr.
func (t *transport) app(addr string) *appConns {
	if a := (*t.hosts.Load())[addr]; a != nil {
		return a
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.hosts.Load()
	if a := old[addr]; a != nil {
		return a
	}
	m := make(map[string]*appConns, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	a := &appConns{addr: addr}
	m[addr] = a
	t.hosts.Store(&m)
	return a
}

// drop closes the idle connections and makes the ones in use close when they are returned.
func (a *appConns) drop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.removed = true
	for _, c := range a.idle {
		c.closeConn()
	}
	a.idle = nil
}

// acquire returns an idle connection (reused) or a new one.
func (t *transport) acquire(a *appConns) (c *appConn, reused bool, err error) {
	a.lastUse.Store(time.Now().UnixNano())
	var deadline time.Time
	for {
		a.mu.Lock()
		if n := len(a.idle); n > 0 {
			c = a.idle[n-1]
			a.idle[n-1] = nil
			a.idle = a.idle[:n-1]
			a.mu.Unlock()
			return c, true, nil
		}
		a.mu.Unlock()
		if a.open.Add(1) <= maxConnsPerApp {
			break
		}
		a.open.Add(-1)
		if deadline.IsZero() {
			deadline = time.Now().Add(maxConnWait)
		} else if time.Now().After(deadline) {
			return nil, false, fasthttp.ErrNoFreeConns
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn, err := t.dialer.Dial("tcp", a.addr)
	if err != nil {
		a.open.Add(-1)
		return nil, false, err
	}
	return &appConn{Conn: conn, app: a}, false, nil
}

// release returns a connection whose last response was read to its end.
func (c *appConn) release() {
	a := c.app
	c.idleSince = time.Now()
	a.mu.Lock()
	if a.removed {
		a.mu.Unlock()
		c.closeConn()
		return
	}
	a.idle = append(a.idle, c)
	a.mu.Unlock()
}

// closeConn closes a connection that is not (or no longer) idle.
func (c *appConn) closeConn() {
	_ = c.Close()
	c.app.open.Add(-1)
}

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, upstreamBufferSize) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, upstreamBufferSize) }}
	copyPool   = sync.Pool{New: func() any { b := make([]byte, upstreamBufferSize); return &b }}
)

// errBadResponse wraps what is wrong with an app's response.
var errBadResponse = errors.New("bad response from the app")

// roundTrip sends req to the app at addr and reads its response header into resp; the body follows as described
// above. req's request URI is the path and query the app sees, its Host header the one the browser sent.
func (t *transport) roundTrip(addr string, req *fasthttp.Request, resp *fasthttp.Response) error {
	a := t.app(addr)
	retry := !req.IsBodyStream() && (req.Header.IsGet() || req.Header.IsHead() || req.Header.IsOptions())
	for attempt := 1; ; attempt++ {
		again, err := t.try(a, req, resp)
		if err == nil {
			return nil
		}
		if !again || !retry || attempt >= attempts {
			return err
		}
	}
}

// try is one attempt of roundTrip; again reports a failure on a reused connection before the app answered, which
// may be the app having closed it while idle.
func (t *transport) try(a *appConns, req *fasthttp.Request, resp *fasthttp.Response) (again bool, err error) {
	c, reused, err := t.acquire(a)
	if err != nil {
		return false, err
	}
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(c)
	err = req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writerPool.Put(bw)
	if err != nil {
		c.closeConn()
		return reused, err
	}

	br := readerPool.Get().(*bufio.Reader)
	br.Reset(c)
	ok := false
	defer func() {
		if !ok {
			br.Reset(nil)
			readerPool.Put(br)
			c.closeConn()
		}
	}()
	resp.Reset()
	resp.Header.SetNoDefaultContentType(true)
	if err := resp.Header.Read(br); err != nil {
		return reused && (errors.Is(err, io.EOF) || isReset(err)), err
	}
	for n := 0; resp.Header.StatusCode() >= 100 && resp.Header.StatusCode() < 200 && resp.Header.StatusCode() != fasthttp.StatusSwitchingProtocols; n++ {
		if n >= maxInterim {
			return false, fmt.Errorf("%w: too many interim responses", errBadResponse)
		}
		if err := resp.Header.Read(br); err != nil {
			return false, err
		}
	}
	keep := !resp.Header.ConnectionClose() && !req.Header.ConnectionClose()
	n := resp.Header.ContentLength()
	if req.Header.IsHead() || resp.Header.StatusCode() == fasthttp.StatusNoContent ||
		resp.Header.StatusCode() == fasthttp.StatusNotModified || resp.Header.StatusCode() == fasthttp.StatusSwitchingProtocols {
		resp.SkipBody = true
		n = 0
		// A 101 answer to a request that did not ask for an upgrade leaves the connection in an unknown state.
		keep = keep && resp.Header.StatusCode() != fasthttp.StatusSwitchingProtocols
	}
	switch {
	case n >= 0 && n <= br.Size():
		// Small: the body is read whole (it may still be on its way) and the connection is free.
		if n > 0 {
			b, err := br.Peek(n)
			if err != nil {
				return false, fmt.Errorf("%w: body: %w", errBadResponse, err)
			}
			resp.AppendBody(b)
			_, _ = br.Discard(n)
		}
		ok = true
		if keep && br.Buffered() == 0 {
			c.release()
		} else {
			c.closeConn()
		}
		br.Reset(nil)
		readerPool.Put(br)
		return false, nil
	case n >= 0:
		resp.SetBodyStream(&appBody{c: c, br: br, remaining: int64(n), keep: keep}, n)
	case n == -1:
		// Chunked: the browser gets it chunked as it arrives.
		resp.SetBodyStream(&appBody{c: c, br: br, chunked: httputil.NewChunkedReader(br), remaining: -1, keep: keep}, -1)
	default:
		// Until the app closes the connection.
		resp.SetBodyStream(&appBody{c: c, br: br, remaining: -1}, -1)
	}
	ok = true
	return false, nil
}

// isReset reports a connection reset or broken pipe, as when writing to a connection the app closed.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// appBody is the body of an app's response on its way to the browser. The server closes it when it has written the
// response (or failed to): the connection goes back to the idle ones if the body was read to its end.
type appBody struct {
	c  *appConn
	br *bufio.Reader
	// chunked decodes a chunked body; nil for others.
	chunked io.Reader
	// remaining is what is left of a body of known length; -1 for others.
	remaining int64
	keep      bool
	done      bool // read to its end
	closed    bool
}

func (b *appBody) Read(p []byte) (int, error) {
	switch {
	case b.done:
		return 0, io.EOF
	case b.chunked != nil:
		n, err := b.chunked.Read(p)
		if errors.Is(err, io.EOF) {
			err = b.endChunked()
		}
		return n, err
	case b.remaining >= 0:
		if b.remaining == 0 {
			b.done = true
			return 0, io.EOF
		}
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err := b.br.Read(p)
		b.remaining -= int64(n)
		if errors.Is(err, io.EOF) && b.remaining > 0 {
			err = io.ErrUnexpectedEOF
		}
		if b.remaining == 0 {
			b.done = true
		}
		return n, err
	default:
		n, err := b.br.Read(p)
		if errors.Is(err, io.EOF) {
			b.done = true
		}
		return n, err
	}
}

// endChunked reads the trailer section after the last chunk, so that the connection can carry the next request.
func (b *appBody) endChunked() error {
	read := 0
	for {
		line, err := b.br.ReadSlice('\n')
		read += len(line)
		if err != nil || read > maxTrailerBytes {
			b.keep = false
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			b.done = true
			return io.EOF
		}
	}
}

// WriteTo sends a body of known length to w. When w can read from a connection (the server's writer to the
// browser's TCP connection), what the read buffer holds goes first and the rest is spliced from the app's socket.
func (b *appBody) WriteTo(w io.Writer) (int64, error) {
	var written int64
	if rf, ok := w.(io.ReaderFrom); ok && b.chunked == nil && b.remaining > 0 {
		if tcp, ok := b.c.Conn.(*net.TCPConn); ok {
			if buffered := min(int64(b.br.Buffered()), b.remaining); buffered > 0 {
				p, _ := b.br.Peek(int(buffered))
				n, err := w.Write(p)
				_, _ = b.br.Discard(n)
				written += int64(n)
				b.remaining -= int64(n)
				if err != nil {
					return written, err
				}
			}
			lr := &io.LimitedReader{R: tcp, N: b.remaining}
			n, err := rf.ReadFrom(lr)
			written += n
			b.remaining -= n
			if b.remaining == 0 {
				b.done = true
			} else if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return written, err
		}
	}
	buf := copyPool.Get().(*[]byte)
	defer copyPool.Put(buf)
	for {
		n, err := b.Read(*buf)
		if n > 0 {
			m, werr := w.Write((*buf)[:n])
			written += int64(m)
			if werr != nil {
				return written, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return written, nil
		}
		if err != nil {
			return written, err
		}
	}
}

// Close returns the connection to the idle ones if the body was read to its end, and closes it otherwise.
func (b *appBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.done && b.keep && b.br.Buffered() == 0 {
		b.c.release()
	} else {
		b.c.closeConn()
	}
	b.br.Reset(nil)
	readerPool.Put(b.br)
	return nil
}
