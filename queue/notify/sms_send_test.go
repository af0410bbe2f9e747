package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// newSMSRedis returns a client on an empty Redis database leased to the test.
func newSMSRedis(t testing.TB) *redis.Client {
	t.Helper()
	return storetest.NewRedis(t).Client
}

// countingProvider records every submission; fail decides, per call, an error to return
// instead (nil sends).
type countingProvider struct {
	mu    sync.Mutex
	sent  map[int64]int
	last  map[int64]OutgoingSMS
	total atomic.Int64
	delay time.Duration
	fail  func(id int64, n int) error
}

func newCountingProvider() *countingProvider {
	return &countingProvider{sent: map[int64]int{}, last: map[int64]OutgoingSMS{}}
}

func (p *countingProvider) Name() string { return "test" }

func (p *countingProvider) Submit(ctx context.Context, m OutgoingSMS) (string, error) {
	id := m.ID
	if p.delay > 0 {
		select {
		case <-time.After(p.delay):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(id, p.sent[id]); err != nil {
			return "", err
		}
	}
	p.sent[id]++
	p.last[id] = m
	p.total.Add(1)
	return fmt.Sprintf("p-%d", id), nil
}

func (p *countingProvider) count(id int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[id]
}

// maxCount is the most times any one message was submitted.
func (p *countingProvider) maxCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := 0
	for _, n := range p.sent {
		m = max(m, n)
	}
	return m
}

type provErr struct {
	perm, doubt bool
}

func (e provErr) Error() string {
	return fmt.Sprintf("provider error perm=%v doubt=%v", e.perm, e.doubt)
}
func (e provErr) Permanent() bool { return e.perm }
func (e provErr) InDoubt() bool   { return e.doubt }

// smsMsg inserts a released, queued message and returns its id.
func (b *workBundle) smsMsg(t testing.TB, phone, kind string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO sms_messages (dealer_id, phone, kind, body, idempotency_key)
		VALUES ($1, $2, $3, '【测试】你好', $4) RETURNING id`, b.dealer, phone, kind, fmt.Sprintf("t:%s:%d", phone, time.Now().UnixNano())).Scan(&id))
	return id
}

func (b *workBundle) smsRow(t testing.TB, id int64) store.SmsMessage {
	t.Helper()
	m, err := store.New(b.db).LockSMSMessage(context.Background(), id)
	require.NoError(t, err)
	return m
}

func (b *workBundle) smsHandlers(p Provider, now time.Time) *smsHandlers {
	clock := func() time.Time { return now }
	return &smsHandlers{db: b.db, log: quietLog(), now: clock, sender: &ProviderSender{DB: b.db, Provider: p, Now: clock}}
}

func smsTask(t testing.TB, id int64) *asynq.Task {
	t.Helper()
	task, err := NewSMSSendTask(id)
	require.NoError(t, err)
	return task
}

func TestProviderSenderSendsEachMessageOnceUnderConcurrentRuns(t *testing.T) {
	b := newWorkBundle(t, 0)
	p := newCountingProvider()
	p.delay = 2 * time.Millisecond
	h := b.smsHandlers(p, b.at(t, "2026-11-23 10:00"))
	var ids []int64
	for i := 0; i < 40; i++ {
		ids = append(ids, b.smsMsg(t, fmt.Sprintf("139%08d", i), "marketing"))
	}
	// Every task runs three times at once: a duplicate delivery, a retry racing the first run.
	var wg sync.WaitGroup
	for _, id := range ids {
		for k := 0; k < 3; k++ {
			wg.Add(1)
			go func(id int64) {
				defer wg.Done()
				require.NoError(t, h.handleSMSSend(context.Background(), smsTask(t, id)))
			}(id)
		}
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, 1, p.count(id), "message %d", id)
		m := b.smsRow(t, id)
		require.Equal(t, "sent", m.Status)
		require.Equal(t, "test", m.Provider)
		require.Equal(t, fmt.Sprintf("p-%d", id), m.ProviderID)
		require.EqualValues(t, 1, m.Attempts)
	}
	// Running a task again after it was sent sends nothing.
	require.NoError(t, h.handleSMSSend(context.Background(), smsTask(t, ids[0])))
	require.Equal(t, 1, p.count(ids[0]))
}

func TestProviderSenderErrors(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	p := newCountingProvider()
	temporary, permanent, doubt := b.smsMsg(t, "13900000001", "service"), b.smsMsg(t, "13900000002", "service"), b.smsMsg(t, "13900000003", "service")
	tries := 0
	p.fail = func(id int64, n int) error {
		switch id {
		case temporary:
			tries++
			if tries == 1 {
				return errors.New("HTTP 503")
			}
		case permanent:
			return provErr{perm: true}
		case doubt:
			return provErr{doubt: true}
		}
		return nil
	}
	h := b.smsHandlers(p, b.at(t, "2026-11-23 10:00"))

	// A temporary error gives the claim back and asks Asynq to retry; the retry sends.
	err := h.handleSMSSend(ctx, smsTask(t, temporary))
	require.ErrorContains(t, err, "HTTP 503")
	require.False(t, errors.Is(err, asynq.SkipRetry))
	m := b.smsRow(t, temporary)
	require.Equal(t, "queued", m.Status)
	require.Equal(t, "HTTP 503", m.Error)
	require.NoError(t, h.handleSMSSend(ctx, smsTask(t, temporary)))
	require.Equal(t, "sent", b.smsRow(t, temporary).Status)
	require.EqualValues(t, 2, b.smsRow(t, temporary).Attempts)

	// A refused message fails for good.
	err = h.handleSMSSend(ctx, smsTask(t, permanent))
	require.ErrorIs(t, err, asynq.SkipRetry)
	require.Equal(t, "failed", b.smsRow(t, permanent).Status)

	// In doubt: the claim stays, a rerun sends nothing, and after the claim timeout
	// without a provider report the sweep marks it uncertain: never sent again blindly.
	err = h.handleSMSSend(ctx, smsTask(t, doubt))
	require.ErrorIs(t, err, asynq.SkipRetry)
	require.Equal(t, "sending", b.smsRow(t, doubt).Status)
	require.NoError(t, h.handleSMSSend(ctx, smsTask(t, doubt)))
	require.Equal(t, 0, p.count(doubt))
	claimed := *b.smsRow(t, doubt).ClaimedAt
	res, err := SweepSMS(ctx, b.db, claimed.Add(time.Minute), 10*time.Minute, 0)
	require.NoError(t, err)
	require.Empty(t, res.Uncertain, "within the claim timeout")
	res, err = SweepSMS(ctx, b.db, claimed.Add(11*time.Minute), 10*time.Minute, 0)
	require.NoError(t, err)
	require.Equal(t, []int64{doubt}, res.Uncertain)
	require.Zero(t, res.Released, "not sent again")
	require.Equal(t, "uncertain", b.smsRow(t, doubt).Status)
	require.Equal(t, 0, p.count(doubt))

	// A claimed message the provider reported on is never marked uncertain.
	other := b.smsMsg(t, "13900000004", "service")
	_, err = b.db.Exec(ctx, `UPDATE sms_messages SET status = 'sending', claimed_at = $2 WHERE id = $1`, other, claimed)
	require.NoError(t, err)
	require.NoError(t, store.New(b.db).InsertSMSEvent(ctx, store.InsertSMSEventParams{MessageID: other, Kind: "submitted", At: claimed}))
	res, err = SweepSMS(ctx, b.db, claimed.Add(time.Hour), 10*time.Minute, 0)
	require.NoError(t, err)
	require.Empty(t, res.Uncertain)
}

func TestProviderSenderGates(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	p := newCountingProvider()
	q := store.New(b.db)

	// Opted out: marketing suppressed, service still sent.
	require.NoError(t, q.SetSMSConsent(ctx, store.SetSMSConsentParams{DealerID: b.dealer, Phone: "13900000011",
		State: "opted_out", Source: "sms_reply", Detail: "TD", At: time.Now()}))
	mkt, svc := b.smsMsg(t, "13900000011", "marketing"), b.smsMsg(t, "13900000011", "service")
	day := b.smsHandlers(p, b.at(t, "2026-11-23 10:00"))
	require.NoError(t, day.handleSMSSend(ctx, smsTask(t, mkt)))
	require.NoError(t, day.handleSMSSend(ctx, smsTask(t, svc)))
	require.Equal(t, "suppressed", b.smsRow(t, mkt).Status)
	require.Equal(t, "opted out", b.smsRow(t, mkt).Error)
	require.Equal(t, "sent", b.smsRow(t, svc).Status)

	// Quiet hours: marketing at 22:30 is held until 08:00 the next day; service goes.
	night := b.smsHandlers(p, b.at(t, "2026-11-23 22:30"))
	mkt2, svc2 := b.smsMsg(t, "13900000012", "marketing"), b.smsMsg(t, "13900000012", "service")
	require.NoError(t, night.handleSMSSend(ctx, smsTask(t, mkt2)))
	require.NoError(t, night.handleSMSSend(ctx, smsTask(t, svc2)))
	m := b.smsRow(t, mkt2)
	require.Equal(t, "queued", m.Status)
	require.True(t, b.at(t, "2026-11-24 08:00").Equal(*m.NotBefore), "%v", m.NotBefore)
	require.Nil(t, m.ReleasedAt)
	require.Zero(t, p.count(mkt2))
	require.Equal(t, "sent", b.smsRow(t, svc2).Status)
	// 07:30 (also quiet, early morning) holds a new marketing message until 08:00 that day.
	early := b.smsHandlers(p, b.at(t, "2026-11-24 07:30"))
	mkt3 := b.smsMsg(t, "13900000013", "marketing")
	require.NoError(t, early.handleSMSSend(ctx, smsTask(t, mkt3)))
	require.True(t, b.at(t, "2026-11-24 08:00").Equal(*b.smsRow(t, mkt3).NotBefore))

	res, err := SweepSMS(ctx, b.db, b.at(t, "2026-11-24 07:59"), 0, 0)
	require.NoError(t, err)
	require.Zero(t, res.Released)
	res, err = SweepSMS(ctx, b.db, b.at(t, "2026-11-24 08:00"), 0, 0)
	require.NoError(t, err)
	require.Equal(t, 2, res.Released)
	require.Contains(t, b.outboxTypes(t), TypeSMSSend)
	morning := b.smsHandlers(p, b.at(t, "2026-11-24 08:00"))
	require.NoError(t, morning.handleSMSSend(ctx, smsTask(t, mkt2)))
	require.Equal(t, "sent", b.smsRow(t, mkt2).Status)

	// Do-not-call numbers get nothing, service included.
	_, err = b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13900000014')`, b.dealer)
	require.NoError(t, err)
	dnc := b.smsMsg(t, "13900000014", "service")
	require.NoError(t, day.handleSMSSend(ctx, smsTask(t, dnc)))
	require.Equal(t, "suppressed", b.smsRow(t, dnc).Status)
	require.Zero(t, p.count(dnc))
}

func TestRateLimiterCapsPerSecond(t *testing.T) {
	rdb := newSMSRedis(t)
	l := &RateLimiter{Redis: rdb, PerSecond: map[string]int{"slow": 5}, Prefix: fmt.Sprintf("t:%d:", time.Now().UnixNano())}
	ctx := context.Background()
	start := time.Now()
	var seconds []int64
	for i := 0; i < 12; i++ {
		require.NoError(t, l.Wait(ctx, "slow"))
		seconds = append(seconds, time.Now().Unix())
	}
	perSecond := map[int64]int{}
	for _, s := range seconds {
		perSecond[s]++
	}
	for s, n := range perSecond {
		require.LessOrEqual(t, n, 5, "second %d", s)
	}
	require.GreaterOrEqual(t, len(perSecond), 3, "12 messages at 5/s span at least 3 seconds")
	require.NoError(t, l.Wait(ctx, "unlisted"), "no cap by default")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for i := 0; i < 6; i++ { // the sixth waits, and the context is over
		if err := l.Wait(cctx, "slow"); err != nil {
			require.ErrorIs(t, err, context.Canceled)
			return
		}
	}
	t.Fatalf("no wait after the cap (started %v)", start)
}

func TestSweepReleasesMessagesWhoseTaskWasLost(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	lost := b.smsMsg(t, "13900000041", "service")
	fresh := b.smsMsg(t, "13900000042", "service")
	now := time.Now()
	_, err := b.db.Exec(ctx, `UPDATE sms_messages SET released_at = $2 WHERE id = $1`, lost, now.Add(-11*time.Minute))
	require.NoError(t, err)
	res, err := SweepSMS(ctx, b.db, now, 10*time.Minute, 0)
	require.NoError(t, err)
	require.EqualValues(t, 1, res.Rereleased)
	require.Equal(t, 1, res.Released)
	var payload string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT payload::text FROM outbox WHERE task_type = 'sms:send'`).Scan(&payload))
	require.JSONEq(t, fmt.Sprintf(`{"message_id": %d}`, lost), payload)
	require.NotNil(t, b.smsRow(t, fresh).ReleasedAt, "a recent release is left alone")
	res, err = SweepSMS(ctx, b.db, now, 10*time.Minute, 0)
	require.NoError(t, err)
	require.Zero(t, res.Rereleased+int64(res.Released), "released once")
}
