// Package metrics holds kiosc's Prometheus registry and the collectors shared across packages.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is the registry served at /metrics with the HTTP collectors. Other packages register their own
// collectors on Registry.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	LiveClients  prometheus.GaugeFunc
	LiveDropped  prometheus.Counter
}

// New creates the registry with Go runtime, process and build collectors.
func New(version string, liveClients func() float64) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiosc_http_requests_total", Help: "HTTP requests served, by method, route and status.",
		}, []string{"method", "route", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kiosc_http_request_duration_seconds", Help: "Time to first byte of HTTP responses (streams excluded), by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		LiveDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kiosc_live_clients_dropped_total", Help: "Live-update clients dropped because their queue was full.",
		}),
	}
	if liveClients == nil {
		liveClients = func() float64 { return 0 }
	}
	m.LiveClients = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kiosc_live_subscribers", Help: "Current subscribers of the event bus (live pages, log streams).",
	}, liveClients)
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kiosc_build_info", Help: "Build information.", ConstLabels: prometheus.Labels{"version": version}})
	info.Set(1)
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.LiveDropped, m.LiveClients, info)
	return m
}
