package notify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// scriptedDialer answers each phone with the next result of its script.
type scriptedDialer struct {
	mu     sync.Mutex
	script map[string][]MessageCallResult
	calls  map[string]int
	seen   []MessageCallRequest
}

func (d *scriptedDialer) MessageCall(_ context.Context, r MessageCallRequest) (MessageCallResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = append(d.seen, r)
	n := d.calls[r.Phone]
	d.calls[r.Phone] = n + 1
	s := d.script[r.Phone]
	res := s[min(n, len(s)-1)]
	res.CallID = fmt.Sprintf("call-%s-%d", r.Phone, n)
	return res, nil
}

func (b *workBundle) target(t testing.TB, phone string) store.MessageCallTarget {
	t.Helper()
	var m store.MessageCallTarget
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT id, status, attempts, key, result, not_before, callback_task_id
		FROM message_call_targets WHERE phone = $1`, phone).Scan(&m.ID, &m.Status, &m.Attempts, &m.Key, &m.Result, &m.NotBefore, &m.CallbackTaskID))
	return m
}

func TestMessageCallCampaignKeysAndAttempts(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	ans := func(k string) MessageCallResult { return MessageCallResult{Outcome: queue.CallAnswered, Digit: k} }
	d := &scriptedDialer{calls: map[string]int{}, script: map[string][]MessageCallResult{
		"13800000001": {ans("1")},
		"13800000002": {ans("2")},
		"13800000003": {ans("9")},
		"13800000004": {ans("")},
		"13800000005": {{Outcome: queue.CallNoAnswer}, {Outcome: queue.CallBusy}, {Outcome: queue.CallNoAnswer}, {Outcome: queue.CallNoAnswer}, {Outcome: queue.CallNoAnswer}},
		"13800000006": {{Outcome: queue.CallInvalidNumber}},
		"13800000007": {{Outcome: queue.CallTrunkFailure}, ans("2")},
	}}
	var ids []int64
	for i := 1; i <= 8; i++ {
		ids = append(ids, b.smsCust(t, fmt.Sprintf("车主%d", i), fmt.Sprintf("138%08d", i), true, ""))
	}
	_, err := b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13800000008')`, b.dealer)
	require.NoError(t, err)
	// A marketing SMS waiting for the owner who will press 9.
	queued := b.smsMsg(t, "13800000003", "marketing")

	res, err := StartMessageCallBroadcast(ctx, b.db, MessageCallBroadcastParams{DealerID: b.dealer, Code: "recall-1",
		PromptPath: "/tmp/prompt.wav", CustomerIDs: ids})
	require.NoError(t, err)
	require.Equal(t, 7, res.Added)
	require.Equal(t, 1, res.Suppressed)
	again, err := StartMessageCallBroadcast(ctx, b.db, MessageCallBroadcastParams{DealerID: b.dealer, Code: "recall-1",
		PromptPath: "/tmp/prompt.wav", CustomerIDs: ids})
	require.NoError(t, err)
	require.Zero(t, again.Added)

	// Outside the window nothing is called.
	night := b.at(t, "2026-11-23 21:00")
	run, err := RunMessageCalls(ctx, b.db, d, MessageCallRunParams{DealerID: b.dealer, Now: night})
	require.NoError(t, err)
	require.NotNil(t, run.Closed)
	require.ErrorIs(t, run.Closed, queue.ErrOutsideWindow)
	require.True(t, b.at(t, "2026-11-24 09:00").Equal(run.Closed.NextOpen))
	require.Empty(t, d.seen)

	now := b.at(t, "2026-11-23 10:00")
	run, err = RunMessageCalls(ctx, b.db, d, MessageCallRunParams{DealerID: b.dealer, Now: now})
	require.NoError(t, err)
	require.Equal(t, 7, run.Called)
	require.Equal(t, map[string]int{"1": 1, "2": 1, "9": 1, "": 1}, run.Keys)
	require.Equal(t, "/tmp/prompt.wav", d.seen[0].PromptPath)

	// 1: a callback task for an agent, due today, with the reason.
	tg := b.target(t, "13800000001")
	require.Equal(t, "done", tg.Status)
	require.Equal(t, "callback", tg.Result)
	require.NotNil(t, tg.CallbackTaskID)
	var status string
	var prio int
	var camps []string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status, priority, campaigns FROM call_tasks WHERE id = $1`, *tg.CallbackTaskID).Scan(&status, &prio, &camps))
	require.Equal(t, "open", status)
	require.Equal(t, callbackPriority, prio)
	require.Equal(t, []string{"message_callback"}, camps)
	listed := false
	for _, lt := range mustList(t, b, "2026-11-23") {
		if lt.CustomerID == ids[0] {
			listed = true
		}
	}
	require.True(t, listed, "the callback is in today's queue")

	require.Equal(t, "not_interested", b.target(t, "13800000002").Result)
	// 9: do-not-call, opted out of SMS, queued SMS suppressed.
	require.Equal(t, "do_not_call", b.target(t, "13800000003").Result)
	dnc, err := store.New(b.db).PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: b.dealer, Phone: "13800000003"})
	require.NoError(t, err)
	require.True(t, dnc)
	require.Equal(t, "suppressed", b.smsRow(t, queued).Status)
	c, err := store.New(b.db).GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: b.dealer, Phone: "13800000003"})
	require.NoError(t, err)
	require.Equal(t, "message_call", c.Source)

	require.Equal(t, "no_key", b.target(t, "13800000004").Result)
	require.Equal(t, "invalid", b.target(t, "13800000006").Status)
	// No answer: retried after 2 hours; the trunk failure is not an attempt, retried in a minute.
	na := b.target(t, "13800000005")
	require.Equal(t, "pending", na.Status)
	require.EqualValues(t, 1, na.Attempts)
	require.True(t, now.Add(2*time.Hour).Equal(*na.NotBefore))
	tf := b.target(t, "13800000007")
	require.EqualValues(t, 0, tf.Attempts)
	require.True(t, now.Add(time.Minute).Equal(*tf.NotBefore))

	// Later rounds: the busy retry comes 30 minutes later; the third attempt of the day
	// moves the next to tomorrow's window; the fifth closes the target as unreachable.
	step := func(at string) {
		_, err := RunMessageCalls(ctx, b.db, d, MessageCallRunParams{DealerID: b.dealer, Now: b.at(t, at)})
		require.NoError(t, err)
	}
	step("2026-11-23 12:00") // busy, and the trunk-failed owner presses 2
	require.Equal(t, "not_interested", b.target(t, "13800000007").Result)
	require.True(t, b.at(t, "2026-11-23 12:30").Equal(*b.target(t, "13800000005").NotBefore))
	step("2026-11-23 12:30") // no answer: third attempt today
	require.True(t, b.at(t, "2026-11-24 09:00").Equal(*b.target(t, "13800000005").NotBefore))
	step("2026-11-24 09:00")
	step("2026-11-24 11:00")
	na = b.target(t, "13800000005")
	require.EqualValues(t, 5, na.Attempts)
	require.Equal(t, "unreachable", na.Status)

	stats, err := LoadBroadcastStats(ctx, b.db, b.dealer, time.Time{})
	require.NoError(t, err)
	require.Len(t, stats.Calls, 1)
	s := stats.Calls[0]
	require.EqualValues(t, 8, s.Total)
	require.EqualValues(t, 1, s.Key1)
	require.EqualValues(t, 2, s.Key2)
	require.EqualValues(t, 1, s.Key9)
	require.EqualValues(t, 1, s.Unreachable)
}

func mustList(t testing.TB, b *workBundle, d string) []queue.ListedTask {
	t.Helper()
	out, err := queue.List(context.Background(), b.db, queue.ListParams{DealerID: b.dealer, Day: day(d)})
	require.NoError(t, err)
	return out
}
