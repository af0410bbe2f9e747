package notify

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the notify package's counters for Prometheus: SMS handed to the provider,
// by provider and result. Make one with NewMetrics on the process's registry and pass it
// down; a nil *Metrics records nothing.
type Metrics struct {
	smsSubmitted *prometheus.CounterVec
}

// NewMetrics makes the counters and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		smsSubmitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "huifang_sms_submitted_total",
			Help: "SMS handed to the provider, by provider and result (accepted, failed).",
		}, []string{"provider", "result"}),
	}
	reg.MustRegister(m.smsSubmitted)
	return m
}

// Provider returns p counting each submission in huifang_sms_submitted_total; with a nil
// *Metrics it returns p itself.
func (m *Metrics) Provider(p Provider) Provider {
	if m == nil || p == nil {
		return p
	}
	return meteredProvider{Provider: p, m: m}
}

// meteredProvider counts the submissions of the provider it wraps.
type meteredProvider struct {
	Provider
	m *Metrics
}

// Submit submits through the wrapped provider and counts the result.
func (p meteredProvider) Submit(ctx context.Context, msg OutgoingSMS) (string, error) {
	id, err := p.Provider.Submit(ctx, msg)
	result := "accepted"
	if err != nil {
		result = "failed"
	}
	p.m.smsSubmitted.WithLabelValues(p.Provider.Name(), result).Inc()
	return id, err
}

// Unwrap returns the wrapped provider.
func (p meteredProvider) Unwrap() Provider { return p.Provider }
