package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

// TestSMSWorkerStoppedMidBatchSendsNothingTwice runs a campaign through the outbox relay
// and a real Asynq worker, stops the worker in the middle of the batch, delivers every
// task a second time (as a redelivery would), leaves a few messages claimed by a "dead"
// worker (uncertain, sent again by a director's decision), and restarts: every message
// is submitted exactly once and none is lost.
func TestSMSWorkerStoppedMidBatchSendsNothingTwice(t *testing.T) {
	b := newWorkBundle(t, 0)
	rdb := newSMSRedis(t)
	ctx := context.Background()
	const n = 300
	var ids []int64
	for i := 0; i < n; i++ {
		ids = append(ids, b.smsCust(t, fmt.Sprintf("客户%d", i), fmt.Sprintf("137%08d", i), true, ""))
	}
	now := b.at(t, "2026-11-23 10:00")
	clock := func() time.Time { return now }
	res, err := StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "care", Template: "leave_store_care",
		Day: day("2026-11-23"), Audience: SMSAudience{CustomerIDs: ids}, Now: now})
	require.NoError(t, err)
	require.Equal(t, n, res.Queued)

	// Five messages were claimed by a worker that died before submitting them.
	_, err = b.db.Exec(ctx, `UPDATE sms_messages SET status = 'sending', claimed_at = $1
		WHERE id IN (SELECT id FROM sms_messages ORDER BY id LIMIT 5)`, now.Add(-time.Hour))
	require.NoError(t, err)

	relay, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: quietLog()})
	require.NoError(t, err)
	relayed, err := relay.Drain(ctx)
	require.NoError(t, err)
	require.Equal(t, n/SMSBatchSize, relayed, "one task per batch of messages")
	relay.Shutdown()

	// Every message is in Redis a second time, as a task of its own.
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	rows, err := b.db.Query(ctx, `SELECT id FROM sms_messages ORDER BY id`)
	require.NoError(t, err)
	var msgs []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		msgs = append(msgs, id)
	}
	require.NoError(t, rows.Err())
	for _, id := range msgs {
		task, err := NewSMSSendTask(id)
		require.NoError(t, err)
		_, err = client.Enqueue(task, asynq.TaskID(fmt.Sprintf("dup:%d", id)))
		require.NoError(t, err)
	}

	p := newCountingProvider()
	p.delay = 5 * time.Millisecond
	start := func() *queue.Worker {
		w, err := queue.NewWorker(queue.WorkerConfig{DB: b.db, Redis: rdb, Log: quietLog(), Concurrency: 2, PollInterval: 50 * time.Millisecond,
			Handlers: b.notifyHandlers(t, &ProviderSender{DB: b.db, Provider: p, Now: clock, Parallel: 4}, clock), Now: clock})
		require.NoError(t, err)
		require.NoError(t, w.Start())
		return w
	}
	w1 := start()
	require.Eventually(t, func() bool { return p.total.Load() >= 60 }, 30*time.Second, 50*time.Millisecond, "a part of the batch")
	w1.Shutdown()
	stopped := p.total.Load()
	require.Less(t, stopped, int64(n-5), "the worker stopped mid-batch")

	// The five stranded claims are uncertain: nobody knows whether they went out. A
	// director who checked decides to send them again.
	sw, err := SweepSMS(ctx, b.db, now, 10*time.Minute, 0)
	require.NoError(t, err)
	require.Len(t, sw.Uncertain, 5)
	decided, err := DecideUncertainSMS(ctx, b.db, b.dealer, 0, sw.Uncertain, UncertainResend)
	require.NoError(t, err)
	require.Equal(t, 5, decided)
	sw, err = SweepSMS(ctx, b.db, now, 10*time.Minute, 0)
	require.NoError(t, err)
	require.Equal(t, 5, sw.Released)
	relay2, err := queue.NewRelay(queue.RelayConfig{DB: b.db, Redis: rdb, Log: quietLog()})
	require.NoError(t, err)
	_, err = relay2.Drain(ctx)
	require.NoError(t, err)
	relay2.Shutdown()

	w2 := start()
	defer w2.Shutdown()
	require.Eventually(t, func() bool {
		var left int
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status <> 'sent'`).Scan(&left))
		if left > 0 && left < 20 {
			var st, e string
			_ = b.db.QueryRow(ctx, `SELECT status || ' ' || coalesce(released_at::text, 'unreleased'), error FROM sms_messages WHERE status <> 'sent' LIMIT 1`).Scan(&st, &e)
			t.Logf("left %d: %s %s", left, st, e)
		}
		return left == 0
	}, 60*time.Second, 50*time.Millisecond, "every message sent")
	require.EqualValues(t, n, p.total.Load(), "each message submitted once")
	require.Equal(t, 1, p.maxCount())
	for _, id := range msgs {
		require.Equal(t, 1, p.count(id), "message %d", id)
	}
}

// TestSMSBatchKilledMidwaySendsNothingTwice cancels a batch in the middle of its
// submissions (the worker is killed): what was submitted stays sent, what was not is
// given back, and running the batch again sends each remaining message once.
func TestSMSBatchKilledMidwaySendsNothingTwice(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 100; i++ {
		ids = append(ids, b.smsMsg(t, fmt.Sprintf("136%08d", i), "service"))
	}
	p := newCountingProvider()
	p.delay = 2 * time.Millisecond
	s := &ProviderSender{DB: b.db, Provider: p, Parallel: 2, Now: func() time.Time { return b.at(t, "2026-11-23 10:00") }}
	kctx, kill := context.WithCancel(ctx)
	go func() {
		for p.total.Load() < 30 {
			time.Sleep(time.Millisecond)
		}
		kill()
	}()
	require.Error(t, s.SendBatch(kctx, ids))
	first := p.total.Load()
	require.Less(t, first, int64(100), "killed midway")
	require.NoError(t, s.SendBatch(ctx, ids))
	require.NoError(t, s.SendBatch(ctx, ids), "a third run finds nothing to send")
	require.EqualValues(t, 100, p.total.Load())
	require.Equal(t, 1, p.maxCount())
	var sent int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status = 'sent'`).Scan(&sent))
	require.Equal(t, 100, sent)
}
