package notify

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dyingProvider is a gateway in front of a worker that is killed: from message id
// `from` on, each message reaches the gateway (the customer gets it) and the sender never
// hears back, as when the process dies between the gateway's answer and the record of it.
type dyingProvider struct {
	*countingProvider
	from    int64
	blocked atomic.Int64
	dead    chan struct{}
}

func (p *dyingProvider) Submit(ctx context.Context, m OutgoingSMS) (string, error) {
	if m.ID < p.from {
		return p.countingProvider.Submit(ctx, m)
	}
	if _, err := p.countingProvider.Submit(ctx, m); err != nil {
		return "", err
	}
	p.blocked.Add(1)
	<-p.dead // never closed: the process is gone
	return "", fmt.Errorf("unreachable")
}

func (b *workBundle) statusCounts(t testing.TB) map[string]int {
	t.Helper()
	rows, err := b.db.Query(context.Background(), `SELECT status, count(*) FROM sms_messages GROUP BY status`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		require.NoError(t, rows.Scan(&s, &n))
		out[s] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// TestSMSSenderKilledMidCampaignSendsNoneTwice kills a sender in the middle of a
// campaign batch (issue 18: with Kannel's DLR mask 19 no report says what the gateway
// took) and restarts: every customer gets the message at most once, and every message
// is accounted for (sent, or uncertain for a person to decide when nobody knows).
func TestSMSSenderKilledMidCampaignSendsNoneTwice(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	const n = 250
	var custs []int64
	for i := 0; i < n; i++ {
		custs = append(custs, b.smsCust(t, fmt.Sprintf("客户%d", i), fmt.Sprintf("138%08d", i), true, ""))
	}
	now := b.at(t, "2026-11-23 10:00")
	res, err := StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "care", Template: "leave_store_care",
		Day: day("2026-11-23"), Audience: SMSAudience{CustomerIDs: custs}, Now: now})
	require.NoError(t, err)
	require.Equal(t, n, res.Queued)
	var ids []int64
	rows, err := b.db.Query(ctx, `SELECT id FROM sms_messages ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())

	gateway := newCountingProvider()
	const par = 8
	dying := &dyingProvider{countingProvider: gateway, from: ids[128], dead: make(chan struct{})}
	clock := func() time.Time { return now }
	first := &ProviderSender{DB: b.db, Provider: dying, Parallel: par, Now: clock, Log: quietLog()}
	go func() { _ = first.SendBatch(ctx, ids) }() // never returns: the worker is killed
	require.Eventually(t, func() bool { return dying.blocked.Load() == par }, 30*time.Second, 10*time.Millisecond,
		"the sender is stuck with a round in flight")

	// The restarted worker: the sweep settles what the dead one held, and the batch runs again.
	second := &ProviderSender{DB: b.db, Provider: gateway, Parallel: par, Now: clock, Log: quietLog()}
	_, err = SweepSMS(ctx, b.db, now.Add(11*time.Minute), 10*time.Minute, 0)
	require.NoError(t, err)
	require.NoError(t, second.SendBatch(ctx, ids))
	_, err = SweepSMS(ctx, b.db, now.Add(22*time.Minute), 10*time.Minute, 0)
	require.NoError(t, err)
	require.NoError(t, second.SendBatch(ctx, ids))

	require.Equal(t, 1, gateway.maxCount(), "nobody got it twice")
	require.EqualValues(t, n, gateway.total.Load(), "every customer got the message")
	st := b.statusCounts(t)
	require.Equal(t, n, st["sent"]+st["uncertain"], "every message accounted for: %v", st)
	require.Equal(t, par, st["uncertain"], "only the round in flight is uncertain: %v", st)
}

// TestSMSSenderClaimsOnlyWhatTheRateLetsGo: with a rate limit of 20 a second, a batch of
// 100 never holds more than 20 messages claimed and unsent at once.
func TestSMSSenderClaimsOnlyWhatTheRateLetsGo(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 100; i++ {
		ids = append(ids, b.smsMsg(t, fmt.Sprintf("139%08d", i), "service"))
	}
	rdb := newSMSRedis(t)
	var most atomic.Int64
	p := newCountingProvider()
	p.fail = func(int64, int) error {
		var sending int64
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE status = 'sending'`).Scan(&sending))
		for {
			m := most.Load()
			if sending <= m || most.CompareAndSwap(m, sending) {
				return nil
			}
		}
	}
	s := &ProviderSender{DB: b.db, Provider: p, Parallel: 50, Log: quietLog(),
		Limiter: &RateLimiter{Redis: rdb, PerSecond: map[string]int{"test": 20}, Prefix: fmt.Sprintf("t:%d:", time.Now().UnixNano())},
		Now:     func() time.Time { return b.at(t, "2026-11-23 10:00") }}
	require.NoError(t, s.SendBatch(ctx, ids))
	require.EqualValues(t, 100, p.total.Load())
	require.LessOrEqual(t, most.Load(), int64(20), "claimed beyond what the rate let go")
}
