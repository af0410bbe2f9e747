package main

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// recoveredMetric is huifang_recovered_total{what}: what the self-healing passes put right
// after a fault (outbox tasks Redis lost and enqueued again, stranded SMS marked
// uncertain or settled by the provider, SMS released again). The parts that recover
// share it: the first to ask registers it on the process's registry.
func recoveredMetric(d *deps) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "huifang_recovered_total",
		Help: "Work put right after a fault, by kind: outbox_redone, sms_uncertain, sms_confirmed, sms_requeued, sms_rereleased.",
	}, []string{"what"})
	if d.metrics == nil {
		return c
	}
	if err := d.metrics.reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}
