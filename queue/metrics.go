package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/huifang/huifang/store"
)

// Metrics are the queue's counters for Prometheus: webhook deliveries by event and
// result (the SMS counters are queue/notify's). Make one with NewMetrics on the process's
// registry and pass it down; a nil *Metrics records nothing.
type Metrics struct {
	webhooks *prometheus.CounterVec
}

// Results of a webhook delivery, for WebhookDelivered.
const (
	// WebhookDelivered2xx is a delivery the receiver answered with a 2xx.
	WebhookDelivered2xx = "delivered"
	// WebhookFailed is a failed delivery that will be tried again.
	WebhookFailed = "failed"
	// WebhookGaveUp is a failed delivery that will not be tried again.
	WebhookGaveUp = "gave_up"
)

// NewMetrics makes the queue's counters and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_webhook_deliveries_total",
			Help: "Webhook deliveries, by event and result (delivered, failed, gave_up).",
		}, []string{"event", "result"}),
	}
	reg.MustRegister(m.webhooks)
	return m
}

// WebhookDelivered counts one delivery of an event's webhook with its result
// (WebhookDelivered2xx, WebhookFailed or WebhookGaveUp).
func (m *Metrics) WebhookDelivered(event, result string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(event, result).Inc()
}

// CollectorConfig configures NewCollector.
type CollectorConfig struct {
	// DB is read at each scrape.
	DB *pgxpool.Pool
	// Timeout bounds the queries of one scrape; zero means 5s.
	Timeout time.Duration
	// SMSWindow is how far back huifang_sms_messages counts; zero means 24h.
	SMSWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Collector reads the queue's state from Postgres at each scrape: open tasks by dealer
// and campaign, the outbox rows not yet relayed and the age of the oldest, and the SMS
// of the last day by status. Every process that runs it reports the same figures (they
// come from the shared database), so graph them with max, not sum, across processes.
type Collector struct {
	cfg       CollectorConfig
	openTasks *prometheus.Desc
	outboxN   *prometheus.Desc
	outboxAge *prometheus.Desc
	sms       *prometheus.Desc
}

// NewCollector returns a Collector on cfg.DB; register it on the process's registry.
func NewCollector(cfg CollectorConfig) *Collector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.SMSWindow <= 0 {
		cfg.SMSWindow = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Collector{
		cfg: cfg,
		openTasks: prometheus.NewDesc("huifang_open_tasks",
			"Open call tasks, by dealer and primary campaign (the task's highest-priority reason).",
			[]string{"dealer", "campaign"}, nil),
		outboxN: prometheus.NewDesc("huifang_outbox_pending",
			"Outbox rows not yet relayed to Asynq.", nil, nil),
		outboxAge: prometheus.NewDesc("huifang_outbox_lag_seconds",
			"Age of the oldest outbox row not yet relayed to Asynq (0 when none waits).", nil, nil),
		sms: prometheus.NewDesc("huifang_sms_messages",
			"SMS created in the last SMSWindow (24h by default), by status (queued, sending, sent, delivered, failed, suppressed).",
			[]string{"status"}, nil),
	}
}

// Describe sends the descriptions of the collector's series.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.openTasks
	ch <- c.outboxN
	ch <- c.outboxAge
	ch <- c.sms
}

// Collect runs the queries and sends the figures; a failed query sends an invalid
// metric naming the error, so the scrape reports it and the other figures still go out.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	q := store.New(c.cfg.DB)

	if rows, err := q.MetricsOpenTasks(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.openTasks, fmt.Errorf("open tasks: %w", err))
	} else {
		for _, r := range rows {
			ch <- prometheus.MustNewConstMetric(c.openTasks, prometheus.GaugeValue, float64(r.Tasks), r.Dealer, r.Campaign)
		}
	}
	if o, err := q.MetricsOutbox(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.outboxN, fmt.Errorf("outbox: %w", err))
	} else {
		ch <- prometheus.MustNewConstMetric(c.outboxN, prometheus.GaugeValue, float64(o.Pending))
		ch <- prometheus.MustNewConstMetric(c.outboxAge, prometheus.GaugeValue, o.OldestSeconds)
	}
	if rows, err := q.MetricsSMSByStatus(ctx, c.cfg.Now().Add(-c.cfg.SMSWindow)); err != nil {
		ch <- prometheus.NewInvalidMetric(c.sms, fmt.Errorf("sms: %w", err))
	} else {
		for _, r := range rows {
			ch <- prometheus.MustNewConstMetric(c.sms, prometheus.GaugeValue, float64(r.Messages), r.Status)
		}
	}
}
