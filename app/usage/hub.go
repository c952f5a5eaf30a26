// Package usage follows the resource use of apps: live samples of one app for the people watching its page (one
// Docker stats stream per watched app, none otherwise, kept in memory only) and the per-container Prometheus
// metrics.
package usage

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/events"
	"github.com/bihealth/kiosc/app/store"
)

// HistoryLength is how many samples (about one a second) a watched app keeps for a page that opens later.
const HistoryLength = 300

// subscriberQueue bounds each watcher's queue; a watcher that falls this far behind loses samples, never blocks
// the others.
const subscriberQueue = 32

// Sample is one moment of an app's use.
type Sample struct {
	Time time.Time `json:"time"`
	// CPUPercent is the share of one CPU (200 = two CPUs busy).
	CPUPercent  float64 `json:"cpu_percent"`
	MemoryBytes uint64  `json:"memory_bytes"`
	MemoryLimit uint64  `json:"memory_limit"`
	// NetRxRate and NetTxRate are bytes per second since the previous sample.
	NetRxRate float64 `json:"net_rx_rate"`
	NetTxRate float64 `json:"net_tx_rate"`
	PIDs      uint64  `json:"pids"`
}

// Source streams a Docker container's usage; *docker.Client implements it.
type Source interface {
	Stats(ctx context.Context, id string, fn func(docker.Stat)) error
}

// Records looks up containers; *store.Store implements it.
type Records interface {
	GetContainer(ctx context.Context, uuid string) (*store.Container, error)
}

// Hub runs one Docker stats stream per app that someone watches and fans its samples out.
type Hub struct {
	src  Source
	recs Records
	bus  *events.Bus
	log  *slog.Logger

	mu      sync.Mutex
	watched map[string]*watch
}

// NewHub returns a hub reading samples from src; bus (may be nil) tells it when a watched app runs again.
func NewHub(src Source, recs Records, bus *events.Bus, log *slog.Logger) *Hub {
	return &Hub{src: src, recs: recs, bus: bus, log: log, watched: map[string]*watch{}}
}

// watch is one watched app: its stream, its history and its watchers.
type watch struct {
	uuid    string
	cancel  context.CancelFunc
	done    chan struct{}
	history []Sample
	subs    map[*Subscription]struct{}
}

// Subscription receives the samples of one app until it is closed.
type Subscription struct {
	C      chan Sample
	hub    *Hub
	w      *watch
	closed bool
}

// Watch subscribes to an app's samples; the history holds the samples seen so far (while someone else watched).
// Close ends it; the last watcher's Close stops the Docker stats stream.
func (h *Hub) Watch(uuid string) (*Subscription, []Sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.watched[uuid]
	if w == nil {
		ctx, cancel := context.WithCancel(context.Background())
		w = &watch{uuid: uuid, cancel: cancel, done: make(chan struct{}), subs: map[*Subscription]struct{}{}}
		h.watched[uuid] = w
		go h.follow(ctx, w)
	}
	s := &Subscription{C: make(chan Sample, subscriberQueue), hub: h, w: w}
	w.subs[s] = struct{}{}
	return s, append([]Sample(nil), w.history...)
}

// Close ends the subscription.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	if s.closed {
		h.mu.Unlock()
		return
	}
	s.closed = true
	w := s.w
	delete(w.subs, s)
	last := len(w.subs) == 0
	if last {
		delete(h.watched, w.uuid)
		w.cancel()
	}
	h.mu.Unlock()
	if last {
		<-w.done
	}
}

// Streams returns the number of Docker stats streams open (for tests and metrics).
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watched)
}

// follow keeps a stats stream open while the app runs and anyone watches; when the app stops it waits for it to run
// again (told by the bus, or checked every few seconds).
func (h *Hub) follow(ctx context.Context, w *watch) {
	defer close(w.done)
	var states <-chan events.Event
	if h.bus != nil {
		sub := h.bus.Subscribe(16, func(e events.Event) bool { return e.Type == events.TypeContainerState && e.Key == w.uuid })
		defer h.bus.Unsubscribe(sub)
		states = sub.C()
	}
	var prev *docker.Stat
	for ctx.Err() == nil {
		c, err := h.recs.GetContainer(ctx, w.uuid)
		if err == nil && c.DockerID != "" && (c.State == store.StateRunning || c.State == store.StateStarting) {
			err = h.src.Stats(ctx, c.DockerID, func(s docker.Stat) {
				h.publish(w, sampleOf(s, prev))
				prev = &s
			})
			if err != nil && ctx.Err() == nil && !docker.IsNotFound(err) {
				h.log.Debug("usage: stats stream ended", "container", w.uuid, "err", err)
			}
			prev = nil
		}
		select {
		case <-ctx.Done():
		case <-states:
		case <-time.After(3 * time.Second):
		}
	}
}

// sampleOf turns a Docker sample into a Sample, with network rates from the previous one.
func sampleOf(s docker.Stat, prev *docker.Stat) Sample {
	out := Sample{Time: s.Time, CPUPercent: s.CPUPercent, MemoryBytes: s.MemoryBytes, MemoryLimit: s.MemoryLimit, PIDs: s.PIDs}
	if prev != nil {
		if dt := s.Time.Sub(prev.Time).Seconds(); dt > 0 {
			if s.NetRxBytes >= prev.NetRxBytes {
				out.NetRxRate = float64(s.NetRxBytes-prev.NetRxBytes) / dt
			}
			if s.NetTxBytes >= prev.NetTxBytes {
				out.NetTxRate = float64(s.NetTxBytes-prev.NetTxBytes) / dt
			}
		}
	}
	return out
}

// publish keeps a sample in the history and hands it to every watcher that has room.
func (h *Hub) publish(w *watch, s Sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.history = append(w.history, s)
	if len(w.history) > HistoryLength {
		w.history = append(w.history[:0], w.history[len(w.history)-HistoryLength:]...)
	}
	for sub := range w.subs {
		select {
		case sub.C <- s:
		default: // a slow page loses a sample rather than holding up the others
		}
	}
}

// StreamsGauge exports the number of open Docker stats streams (kiosc_usage_streams), which is zero whenever no
// page watches an app's usage.
func (h *Hub) StreamsGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kiosc_usage_streams", Help: "Docker stats streams open for pages that watch an app's usage.",
	}, func() float64 { return float64(h.Streams()) })
}
