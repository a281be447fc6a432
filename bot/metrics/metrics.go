// Package metrics exposes Escalate's Prometheus metrics: transitions by
// command and outcome, the outbox's depth and the age of its oldest
// message, due timers, auditor repairs and HTTP latencies.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/escalate-app/escalate/workflow"
)

// Source is what the gauges read at scrape time (store.Store implements it).
type Source interface {
	OutboxStats(ctx context.Context, now time.Time) (depth int64, oldest time.Duration, parked int64, err error)
	DueCount(ctx context.Context, now time.Time) (int64, error)
}

// Metrics owns one registry (no package-level state, so tests can build
// as many as they like).
type Metrics struct {
	reg         *prometheus.Registry
	transitions *prometheus.CounterVec
	repairs     *prometheus.CounterVec
	sent        *prometheus.CounterVec
	http        *prometheus.HistogramVec
	lookups     *prometheus.CounterVec
}

// New registers Escalate's metrics. src may be nil (no store gauges).
func New(src Source, now func() time.Time) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "escalate_transitions_total", Help: "Workflow commands by command and outcome (accepted, refused, conflict, duplicate, error).",
		}, []string{"command", "outcome"}),
		repairs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "escalate_auditor_repairs_total", Help: "Things the auditor found missing and repaired, by kind.",
		}, []string{"kind"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "escalate_outbox_deliveries_total", Help: "Outbox delivery attempts by platform and result (sent, retry, rate_limited, parked).",
		}, []string{"platform", "result"}),
		http: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "escalate_http_request_duration_seconds", Help: "HTTP request latency by route and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "code"}),
	}
	m.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "escalate_directory_lookups_total", Help: "Look-ups of people on their platforms (slack, teams, graph) by result (found, not_found, unavailable).",
	}, []string{"source", "result"})
	m.reg.MustRegister(m.transitions, m.repairs, m.sent, m.http, m.lookups,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.reg.MustRegister(&storeCollector{src: src, now: now})
	}
	return m
}

// Transition implements engine.Metrics.
func (m *Metrics) Transition(kind workflow.CommandKind, outcome string) {
	m.transitions.WithLabelValues(string(kind), outcome).Inc()
}

// Repaired counts an auditor repair.
func (m *Metrics) Repaired(kind string, n int) { m.repairs.WithLabelValues(kind).Add(float64(n)) }

// Delivery counts an outbox delivery attempt.
func (m *Metrics) Delivery(platform, result string) { m.sent.WithLabelValues(platform, result).Inc() }

// Lookup counts a look-up of a person on a platform (bot/directory).
func (m *Metrics) Lookup(source, result string) { m.lookups.WithLabelValues(source, result).Inc() }

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Instrument wraps a handler to record its latency under a fixed route
// label (never the raw path, which could carry anything).
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.http.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush keeps streaming responses working through the wrapper.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var (
	outboxDepthDesc  = prometheus.NewDesc("escalate_outbox_depth", "Messages waiting in the outbox.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("escalate_outbox_oldest_age_seconds", "Age of the oldest message waiting in the outbox.", nil, nil)
	outboxParkedDesc = prometheus.NewDesc("escalate_outbox_parked", "Messages parked after repeated failures, waiting for an operator (escalate outbox).", nil, nil)
	timersDueDesc    = prometheus.NewDesc("escalate_timers_due", "Timers due now and not yet processed.", nil, nil)
	storeUpDesc      = prometheus.NewDesc("escalate_store_up", "Whether the last scrape could read the store.", nil, nil)
)

// storeCollector reads the store at scrape time, with a short deadline so a
// slow Redis cannot hang the scrape.
type storeCollector struct {
	src Source
	now func() time.Time
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxOldestDesc
	ch <- outboxParkedDesc
	ch <- timersDueDesc
	ch <- storeUpDesc
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := c.now()
	up := 1.0
	depth, oldest, parked, err := c.src.OutboxStats(ctx, now)
	if err != nil {
		up = 0
	} else {
		ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(depth))
		ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, oldest.Seconds())
		ch <- prometheus.MustNewConstMetric(outboxParkedDesc, prometheus.GaugeValue, float64(parked))
	}
	if due, err := c.src.DueCount(ctx, now); err != nil {
		up = 0
	} else {
		ch <- prometheus.MustNewConstMetric(timersDueDesc, prometheus.GaugeValue, float64(due))
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, up)
}
