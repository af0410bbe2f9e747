package queue

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// hookReceiver is a webhook endpoint that checks every signature and can fail the first
// try of each event.
type hookReceiver struct {
	t         *testing.T
	secret    string
	failFirst bool
	mu        sync.Mutex
	tries     map[float64]int
	bodies    []map[string]any
	badSig    int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("X-Huifang-Signature") != SignWebhook(h.secret, body) {
		h.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m["event"] != r.Header.Get("X-Huifang-Event") {
		h.badSig++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id := m["id"].(float64)
	h.tries[id]++
	if h.failFirst && h.tries[id] == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	h.bodies = append(h.bodies, m)
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		out = append(out, b["event"].(string))
	}
	return out
}

func TestWebhooksDeliveredSignedAtLeastOnce(t *testing.T) {
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	rdb := newQueueRedis(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }

	rcv := &hookReceiver{t: t, failFirst: true, tries: map[float64]int{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	_, _, err := AddWebhook(ctx, b.db, b.dealer, "ftp://x", []string{EventComplaintOpened})
	require.Error(t, err)
	_, _, err = AddWebhook(ctx, b.db, b.dealer, srv.URL, []string{"call.ended"})
	require.Error(t, err)
	_, secret, err := AddWebhook(ctx, b.db, b.dealer, srv.URL+"/hook", WebhookEvents())
	require.NoError(t, err)
	rcv.secret = secret
	// Another dealer's endpoint hears nothing of this dealer.
	other, err := store.New(b.db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "D2", Name: "别家"})
	require.NoError(t, err)
	otherRcv := &hookReceiver{t: t, tries: map[float64]int{}}
	otherSrv := httptest.NewServer(otherRcv)
	defer otherSrv.Close()
	_, otherRcv.secret, err = AddWebhook(ctx, b.db, other.ID, otherSrv.URL, WebhookEvents())
	require.NoError(t, err)

	relay, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog(), PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, relay.Start(ctx))
	defer relay.Shutdown()
	w, err := NewWorker(WorkerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: now,
		PollInterval: 50 * time.Millisecond, WebhookRetryDelay: func(int) time.Duration { return 200 * time.Millisecond }})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Shutdown()

	// Every event, each caused the way the product causes it.
	var cust, task int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id`, b.dealer).Scan(&cust))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 90, '2026-11-22', '2026-11-23', '{same_day_visit}') RETURNING id`, b.dealer, cust).Scan(&task))
	b.call(t, task, true, b.at(t, "2026-11-22 19:00"))
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "o1", TaskID: task, AgentUserID: b.agents[0],
		Code: "complaint", ComplaintCategory: "服务", Notes: "等太久", SMSOptOut: true, Answers: json.RawMessage(`{"satisfaction":1}`)})
	require.NoError(t, err)
	var appt int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, source)
		VALUES ($1, $2, '2026-11-25 10:00+08', '2026-11-25', 'maintenance', 'api') RETURNING id`, b.dealer, cust).Scan(&appt))
	_, err = b.db.Exec(ctx, `UPDATE appointments SET status = 'cancelled' WHERE id = $1`, appt)
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, `UPDATE complaints SET closed_on = opened_on WHERE customer_id = $1`, cust)
	require.NoError(t, err)

	want := []string{EventOutcomeRecorded, EventComplaintOpened, EventSMSOptedOut, EventAppointmentBooked,
		EventAppointmentCancelled, EventComplaintResolved}
	require.Eventually(t, func() bool { return len(rcv.events()) == len(want) }, 20*time.Second, 50*time.Millisecond)
	require.ElementsMatch(t, want, rcv.events())
	require.Zero(t, rcv.badSig)
	require.Empty(t, otherRcv.events())
	for _, body := range rcv.bodies {
		require.Equal(t, "D1", body["dealer"])
		_, err := time.Parse(time.RFC3339, body["occurred_at"].(string))
		require.NoError(t, err)
		require.NotNil(t, body["data"])
		if body["event"] == EventOutcomeRecorded {
			data := body["data"].(map[string]any)
			require.Equal(t, "complaint", data["code"])
			require.Equal(t, "13800001234", data["phone"])
			require.Equal(t, "agent1", data["agent"])
		}
	}
	// The receiver answers before the worker records it: wait for the records.
	var tries, delivered int
	require.Eventually(t, func() bool {
		return b.db.QueryRow(ctx, `SELECT min(tries), count(*) FILTER (WHERE status = 'delivered') FROM webhook_deliveries WHERE dealer_id = $1`,
			b.dealer).Scan(&tries, &delivered) == nil && delivered == len(want)
	}, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, 2, tries, "the first try failed and was retried")

	// An admin redelivers one: the receiver gets the same body (same id) again.
	var delivery int64
	var eventID float64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT d.id, d.event_id FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
		WHERE d.dealer_id = $1 AND e.event = $2`, b.dealer, EventComplaintOpened).Scan(&delivery, &eventID))
	require.NoError(t, store.WithTx(ctx, b.db, func(tx pgx.Tx) error { return Redeliver(ctx, tx, b.dealer, delivery, now()) }))
	require.Eventually(t, func() bool { rcv.mu.Lock(); defer rcv.mu.Unlock(); return rcv.tries[eventID] == 3 }, 10*time.Second, 50*time.Millisecond)
	require.ErrorIs(t, store.WithTx(ctx, b.db, func(tx pgx.Tx) error { return Redeliver(ctx, tx, other.ID, delivery, now()) }), ErrNoWebhook)
}

func TestWebhookGivenUpAfterWindow(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	rdb := newQueueRedis(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	_, _, err := AddWebhook(ctx, b.db, b.dealer, srv.URL, []string{EventComplaintOpened})
	require.NoError(t, err)
	relay, err := NewRelay(RelayConfig{DB: b.db, Redis: rdb, Log: quietLog(), PollInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, relay.Start(ctx))
	defer relay.Shutdown()
	w, err := NewWorker(WorkerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Now: now,
		PollInterval: 50 * time.Millisecond, WebhookRetryDelay: func(int) time.Duration { return 100 * time.Millisecond }})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Shutdown()
	_, err = b.db.Exec(ctx, `WITH c AS (INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id)
		INSERT INTO complaints (dealer_id, customer_id, opened_on) SELECT $1, id, '2026-11-22' FROM c`, b.dealer)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return hits.Load() >= 2 }, 10*time.Second, 20*time.Millisecond)
	clock.Add(int64(WebhookWindow + time.Minute))
	var status, lastErr string
	require.Eventually(t, func() bool {
		return b.db.QueryRow(ctx, `SELECT status, last_error FROM webhook_deliveries`).Scan(&status, &lastErr) == nil && status == "failed"
	}, 10*time.Second, 50*time.Millisecond)
	require.Contains(t, lastErr, "500")
}

func TestWebhookBackoffCoversTheWindow(t *testing.T) {
	var total time.Duration
	n := 0
	for ; total < WebhookWindow; n++ {
		total += webhookBackoff(n)
	}
	require.Equal(t, 30*time.Second, webhookBackoff(0))
	require.Equal(t, 2*time.Hour, webhookBackoff(20))
	require.Less(t, n, 25, "Asynq's 25 retries outlast the 24 h window")
}
