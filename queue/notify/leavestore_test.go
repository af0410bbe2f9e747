package notify

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// visitResult is what one recorded visit stored: the visit and its leave-store SMS.
type visitResult struct {
	*queue.ShowroomVisitResult
	SMSID         int64
	SMSSuppressed bool
}

// recordVisit records v and its leave-store SMS in one transaction, as the CLI and the
// API do.
func (b *workBundle) recordVisit(t testing.TB, v queue.ShowroomVisit) visitResult {
	t.Helper()
	v.DealerID = b.dealer
	var res visitResult
	require.NoError(t, store.WithTx(context.Background(), b.db, func(tx pgx.Tx) error {
		ctx := context.Background()
		visit, err := queue.RecordShowroomVisit(ctx, tx, v)
		if err != nil {
			return err
		}
		sms, err := LeaveStoreSMSTx(ctx, tx, visit)
		res = visitResult{ShowroomVisitResult: visit, SMSID: sms.ID, SMSSuppressed: sms.Suppressed}
		return err
	}))
	return res
}

func (b *workBundle) outboxTypes(t testing.TB) []string {
	t.Helper()
	var types []string
	rows, err := b.db.Query(context.Background(), `SELECT task_type FROM outbox ORDER BY id`)
	require.NoError(t, err)
	types, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return types
}

func TestShowroomVisitQueuesLeaveStoreSMSOnce(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	arrived := b.at(t, "2026-11-23 15:00")
	left := arrived.Add(90 * time.Minute)
	v := queue.ShowroomVisit{Phone: "13912345678", Name: "王", Title: "先生", ArrivedAt: arrived, Consultant: "张伟", IntentLevel: "A"}

	res := b.recordVisit(t, v)
	require.Zero(t, res.SMSID, "no SMS before the visitor leaves")
	require.Equal(t, day("2026-11-23"), res.Day)
	require.Equal(t, []string{queue.TypeBuild}, b.outboxTypes(t))

	v.LeftAt = &left
	res2 := b.recordVisit(t, v)
	require.Equal(t, res.VisitID, res2.VisitID, "same visit, now with its leave time")
	require.NotZero(t, res2.SMSID)
	require.Equal(t, []string{queue.TypeBuild, queue.TypeBuild, TypeSMSSend}, b.outboxTypes(t), "the visit's build, then the SMS in the same transaction")

	res3 := b.recordVisit(t, v)
	require.Zero(t, res3.SMSID, "the SMS is queued once per visit")

	ctx := context.Background()
	var status, body, prospect string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status, body FROM sms_messages WHERE id = $1`, res2.SMSID).Scan(&status, &body))
	require.Equal(t, "queued", status)
	require.Contains(t, body, "王先生")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT prospect_status FROM customers WHERE id = $1`, res.CustomerID).Scan(&prospect))
	require.Equal(t, "open", prospect)

	// A visitor on the do-not-call list gets no SMS.
	_, err := b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13900000009')`, b.dealer)
	require.NoError(t, err)
	res4 := b.recordVisit(t, queue.ShowroomVisit{Phone: "13900000009", ArrivedAt: arrived, LeftAt: &left})
	require.True(t, res4.SMSSuppressed)
	require.Zero(t, res4.SMSID)
}

func TestShowroomVisitUsesTheDealersTemplate(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "leave_store_care", Kind: "service",
		Body: "{customer}，谢谢您{date}来店看车，试驾请找我们。"}, 0))
	_, err := b.db.Exec(ctx, `UPDATE dealers SET settings = settings || '{"sms_signature": "星辰汽车"}' WHERE id = $1`, b.dealer)
	require.NoError(t, err)
	arrived := b.at(t, "2026-11-23 15:00")
	left := arrived.Add(time.Hour)
	res := b.recordVisit(t, queue.ShowroomVisit{Phone: "13912345670", Name: "李", Title: "女士", ArrivedAt: arrived, LeftAt: &left})
	var body string
	var vars map[string]string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT body, vars FROM sms_messages WHERE id = $1`, res.SMSID).Scan(&body, &vars))
	require.Equal(t, "【星辰汽车】李女士，谢谢您2026年11月23日来店看车，试驾请找我们。", body)
	require.Equal(t, "李女士", vars["customer"])
}

// TestShowroomVisitReachesTheQueue runs the whole path: the visit's transaction writes
// the outbox, the relay enqueues, the worker builds the queue and sends the SMS.
func TestShowroomVisitReachesTheQueue(t *testing.T) {
	b := newWorkBundle(t, 1)
	rdb := newQueueRedis(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// No Sender: the handler's default is the development sender.
	handler, err := NewHandler(HandlerConfig{DB: b.db, Log: quietLog()})
	require.NoError(t, err)
	w, err := queue.NewWorker(queue.WorkerConfig{
		DB: b.db, Redis: rdb, Log: log, Concurrency: 2, PollInterval: 100 * time.Millisecond,
		Handlers: map[string]asynq.Handler{TaskPrefix: handler},
	})
	require.NoError(t, err)
	require.NoError(t, w.Start())
	defer w.Shutdown()
	r, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: log, PollInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, r.Start(ctx))
	defer r.Shutdown()

	// The visit is today, so the same-day call can be taken now.
	now := time.Now()
	left := now.Add(-time.Minute)
	res := b.recordVisit(t, queue.ShowroomVisit{Phone: "13912345678", Name: "王", Title: "先生", ArrivedAt: now.Add(-time.Hour), LeftAt: &left})

	var campaigns []string
	// The bound is generous for -race on a busy machine; it takes seconds.
	require.Eventually(t, func() bool {
		err := b.db.QueryRow(ctx, `SELECT campaigns FROM call_tasks WHERE customer_id = $1 AND status = 'open'`, res.CustomerID).Scan(&campaigns)
		return err == nil
	}, 60*time.Second, 50*time.Millisecond, "the same-day visit task")
	require.Contains(t, campaigns, queue.CampaignSameDayVisit)
	require.Eventually(t, func() bool {
		var status, provider string
		require.NoError(t, b.db.QueryRow(ctx, `SELECT status, provider FROM sms_messages WHERE id = $1`, res.SMSID).Scan(&status, &provider))
		return status == "sent" && provider == "dev-log"
	}, 60*time.Second, 50*time.Millisecond, "the leave-store SMS sent by the development sender")
}

func TestSMSSendHandler(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	sentAt := b.at(t, "2026-11-23 16:31")
	h := &smsHandlers{db: b.db, log: quietLog(), now: func() time.Time { return sentAt },
		sender: LogSender{DB: b.db, Log: quietLog(), Now: func() time.Time { return sentAt }}}
	msg := func(phone string) int64 {
		var id int64
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO sms_messages (dealer_id, phone, body, idempotency_key) VALUES ($1, $2, '您好', $2) RETURNING id`,
			b.dealer, phone).Scan(&id))
		return id
	}
	ok, dnc := msg("13900000001"), msg("13900000002")
	_, err := b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13900000002')`, b.dealer)
	require.NoError(t, err)
	for _, id := range []int64{ok, dnc, ok} { // the second run for ok finds it sent
		task, err := NewSMSSendTask(id)
		require.NoError(t, err)
		require.NoError(t, h.handleSMSSend(ctx, task))
	}
	var status, provider string
	var at *time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status, provider, sent_at FROM sms_messages WHERE id = $1`, ok).Scan(&status, &provider, &at))
	require.Equal(t, []string{"sent", "dev-log"}, []string{status, provider})
	require.True(t, sentAt.Equal(*at))
	var attempts int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT attempts FROM sms_messages WHERE id = $1`, ok).Scan(&attempts))
	require.Equal(t, 1, attempts, "sent once")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, dnc).Scan(&status))
	require.Equal(t, "suppressed", status)

	task, err := NewSMSSendTask(999999)
	require.NoError(t, err)
	require.ErrorIs(t, h.handleSMSSend(ctx, task), asynq.SkipRetry, "no such message")
}

// testLogWriter sends log lines to the test's log.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func TestSMSHandlersSkipRetryOnBadPayload(t *testing.T) {
	h := &smsHandlers{log: quietLog(), now: time.Now}
	for _, payload := range []string{`[]`, `{}`} {
		err := h.handleSMSSend(context.Background(), asynq.NewTask(TypeSMSSend, []byte(payload)))
		require.ErrorIs(t, err, asynq.SkipRetry, payload)
	}
	_, err := NewSMSSendTask(0)
	require.Error(t, err)
	_, err = NewHandler(HandlerConfig{})
	require.Error(t, err, "no DB")
}
