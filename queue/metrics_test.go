package queue

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// TestCollectorReadsTheDatabase checks the scrape-time figures against rows written
// for them: open tasks by dealer and primary campaign, the outbox backlog and its age,
// and the SMS of the window by status.
func TestCollectorReadsTheDatabase(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	var dealer int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO dealers (code, name) VALUES ('CM', '指标店') RETURNING id`).Scan(&dealer))
	_, err := db.Exec(ctx, `WITH c AS (
			INSERT INTO customers (dealer_id, name, title, phone)
			SELECT $1::bigint, '客户' || g, '先生', (13800000000 + g)::text FROM generate_series(1, 5) g RETURNING id, phone)
		INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns, status)
		SELECT $1, id, 50, current_date, current_date + 3,
			CASE WHEN phone::bigint % 2 = 0 THEN '{maintenance,insurance}'::text[] ELSE '{insurance}'::text[] END,
			CASE WHEN phone = '13800000005' THEN 'done' ELSE 'open' END FROM c`, dealer)
	require.NoError(t, err)
	_, err = db.Exec(ctx, `INSERT INTO outbox (task_type, created_at) VALUES ('queue:build', now() - interval '90 seconds'), ('queue:build', now())`)
	require.NoError(t, err)
	_, err = db.Exec(ctx, `INSERT INTO outbox (task_type, relayed_at) VALUES ('queue:build', now())`)
	require.NoError(t, err)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	_, err = db.Exec(ctx, `INSERT INTO sms_messages (dealer_id, phone, body, idempotency_key, status, created_at) VALUES
		($1, '13900000001', 'a', 'k1', 'delivered', $2), ($1, '13900000002', 'b', 'k2', 'delivered', $2),
		($1, '13900000003', 'c', 'k3', 'failed', $2), ($1, '13900000004', 'd', 'k4', 'failed', $2::timestamptz - interval '2 days')`, dealer, now)
	require.NoError(t, err)

	c := NewCollector(CollectorConfig{DB: db, Now: func() time.Time { return now.Add(time.Hour) }})
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	require.Equal(t, 2.0, got["huifang_open_tasks campaign=maintenance dealer=CM"], "phones ...02 and ...04")
	require.Equal(t, 2.0, got["huifang_open_tasks campaign=insurance dealer=CM"], "phones ...01 and ...03; ...05 is done")
	require.Equal(t, 2.0, got["huifang_outbox_pending"])
	require.InDelta(t, 90, got["huifang_outbox_lag_seconds"], 30)
	require.Equal(t, 2.0, got["huifang_sms_messages status=delivered"])
	require.Equal(t, 1.0, got["huifang_sms_messages status=failed"], "the two-day-old one is outside the window")
}

func TestMetricsCountWebhooks(t *testing.T) {
	var none *Metrics
	none.WebhookDelivered("call.ended", WebhookDelivered2xx) // records nothing, does not panic

	m := NewMetrics(prometheus.NewRegistry())
	m.WebhookDelivered("call.ended", WebhookDelivered2xx)
	m.WebhookDelivered("call.ended", WebhookFailed)
	m.WebhookDelivered("call.ended", WebhookFailed)
	require.Equal(t, 2.0, testutil.ToFloat64(m.webhooks.WithLabelValues("call.ended", WebhookFailed)))
}
