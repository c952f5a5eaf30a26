package usage

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bihealth/kiosc/app/docker"
	"github.com/bihealth/kiosc/app/store"
)

// OnceSource reads one sample of a Docker container without waiting; *docker.Client implements it.
type OnceSource interface {
	StatOnce(ctx context.Context, id string, withCPU bool) (docker.Stat, error)
}

// Lister lists container records; *store.Store implements it.
type Lister interface {
	ListContainers(ctx context.Context, f store.ContainerFilter) ([]*store.Container, int, error)
}

// cacheFor is how long a scrape's samples are reused, so that several Prometheus servers (or a refreshing page)
// cost one Docker call per container at most this often.
const cacheFor = 5 * time.Second

// Collector exports every running app's usage as Prometheus metrics with its container, project and title as labels:
// counters for CPU time and network bytes (graph them with rate()), gauges for memory and processes.
type Collector struct {
	src  OnceSource
	list Lister

	cpu, rx, tx, mem, memLimit, pids *prometheus.Desc

	mu      sync.Mutex
	at      time.Time
	samples []labelled
}

type labelled struct {
	labels []string
	s      docker.Stat
}

// NewCollector returns the collector; register it on the /metrics registry.
func NewCollector(src OnceSource, list Lister) *Collector {
	l := []string{"container", "project", "title"}
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, l, nil) }
	return &Collector{src: src, list: list,
		cpu:      d("kiosc_container_cpu_seconds_total", "CPU time used by the app's container since it started."),
		rx:       d("kiosc_container_network_receive_bytes_total", "Bytes the app's container received since it started."),
		tx:       d("kiosc_container_network_transmit_bytes_total", "Bytes the app's container sent since it started."),
		mem:      d("kiosc_container_memory_bytes", "Memory the app's container uses, without reclaimable page cache."),
		memLimit: d("kiosc_container_memory_limit_bytes", "Memory limit of the app's container (the host's memory without one)."),
		pids:     d("kiosc_container_pids", "Processes in the app's container."),
	}
}

// Describe sends the metrics' descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cpu, c.rx, c.tx, c.mem, c.memLimit, c.pids} {
		ch <- d
	}
}

// Collect reads (or reuses, within cacheFor) one sample of every running app.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.CounterValue, l.s.CPUSeconds, l.labels...)
		ch <- prometheus.MustNewConstMetric(c.rx, prometheus.CounterValue, float64(l.s.NetRxBytes), l.labels...)
		ch <- prometheus.MustNewConstMetric(c.tx, prometheus.CounterValue, float64(l.s.NetTxBytes), l.labels...)
		ch <- prometheus.MustNewConstMetric(c.mem, prometheus.GaugeValue, float64(l.s.MemoryBytes), l.labels...)
		ch <- prometheus.MustNewConstMetric(c.memLimit, prometheus.GaugeValue, float64(l.s.MemoryLimit), l.labels...)
		ch <- prometheus.MustNewConstMetric(c.pids, prometheus.GaugeValue, float64(l.s.PIDs), l.labels...)
	}
}

func (c *Collector) read() []labelled {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < cacheFor {
		return c.samples
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	records, _, err := c.list.ListContainers(ctx, store.ContainerFilter{State: store.StateRunning})
	if err != nil {
		return c.samples
	}
	out := make([]labelled, 0, len(records))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, r := range records {
		if r.DockerID == "" {
			continue
		}
		wg.Add(1)
		go func(r *store.Container) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := c.src.StatOnce(ctx, r.DockerID, false)
			if err != nil {
				return
			}
			mu.Lock()
			out = append(out, labelled{labels: []string{r.UUID, r.ProjectUUID, r.Title}, s: s})
			mu.Unlock()
		}(r)
	}
	wg.Wait()
	c.samples, c.at = out, time.Now()
	return out
}
