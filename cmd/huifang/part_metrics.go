package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/telephony"
)

// metricsSet is the process's Prometheus registry and the typed metrics handed down to
// the packages that record them. It is made once per process (openDeps); nothing is
// registered on Prometheus' global registry.
type metricsSet struct {
	reg       *prometheus.Registry
	telephony *telephony.Metrics
	queue     *queue.Metrics
	notify    *notify.Metrics
}

// newMetricsSet makes the registry with the Go runtime's and the process's collectors,
// the packages' metrics, the queue's database collector and Asynq's queue collector.
func newMetricsSet(d *deps) *metricsSet {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &metricsSet{reg: reg, telephony: telephony.NewMetrics(reg), queue: queue.NewMetrics(reg),
		notify: notify.NewMetrics(reg)}
	reg.MustRegister(queue.NewCollector(queue.CollectorConfig{DB: d.db}))
	if d.rdb != nil {
		reg.MustRegister(asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(d.rdb)))
	}
	return m
}

// metricsPart serves /metrics on HUIFANG_METRICS_ADDR, a listener of its own: the
// console's port is public, the figures are for the operator's Prometheus.
type metricsPart struct {
	d   *deps
	srv *http.Server
	// addr is the address it listens on, once started.
	addr string
}

func newMetricsPart(d *deps) *metricsPart { return &metricsPart{d: d} }

func (p *metricsPart) name() string { return "metrics" }

func (p *metricsPart) start(ctx context.Context) error {
	ln, err := net.Listen("tcp", p.d.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("HUIFANG_METRICS_ADDR: listen %s: %w (another huifang on this host? give each its own address, or off)", p.d.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.d.metrics.reg, promhttp.HandlerOpts{
		// A failed database query drops its own series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(p.d.log.Handler(), slog.LevelWarn),
		Timeout:       10 * time.Second,
	}))
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(p.d.log.Handler(), slog.LevelWarn)}
	p.addr = ln.Addr().String()
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.d.log.Error("metrics server", "err", err)
		}
	}()
	p.d.log.Info("metrics listening", "addr", p.addr, "url", "http://"+p.addr+"/metrics")
	return nil
}

func (p *metricsPart) shutdown(ctx context.Context) error {
	if p.srv == nil {
		return nil
	}
	// Asynq's inspector shares the process's Redis client, which openDeps closes.
	return p.srv.Shutdown(ctx)
}
