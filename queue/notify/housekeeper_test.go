package notify

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// noDialer fails the test's message calls: there are none due.
type noDialer struct{}

func (noDialer) MessageCall(context.Context, MessageCallRequest) (MessageCallResult, error) {
	return MessageCallResult{}, errors.New("no message call is due")
}

// The Housekeeper, on its injected clock: at Start it queues the service notices due
// (a reminder the day before an appointment), its sweep settles a dead worker's claim
// (counted as recovered), it places message-call rounds with a new dialer each round,
// and Shutdown stops it.
func TestHousekeeperRounds(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	now := b.at(t, "2026-12-09 10:00")
	c, _ := b.noticeCustomer(t, "13912340002")
	_, err := b.db.Exec(ctx, `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, status, source, created_at)
		VALUES ($1, $2, $3, $4, 'maintenance', 'booked', 'call', $5)`, b.dealer, c, b.at(t, "2026-12-10 09:30"), day("2026-12-10"), b.at(t, "2026-12-01 11:00"))
	require.NoError(t, err)
	stranded := b.smsMsg(t, "13900000061", "service")
	b.claimAs(t, stranded, "w-gone", now.Add(-20*time.Second))

	recovered := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recovered_total"}, []string{"what"})
	var rounds atomic.Int32
	h := NewHousekeeper(HousekeeperConfig{
		DB: b.db, Log: quietLog(), Now: func() time.Time { return now }, Recovered: recovered,
		Dialer:     func() MessageDialer { rounds.Add(1); return noDialer{} },
		SweepEvery: 10 * time.Millisecond, CallsEvery: 10 * time.Millisecond,
	})
	h.Start(ctx)
	defer func() { _ = h.Shutdown(ctx) }()

	reminders := func() int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE template = $1`, AppointmentReminderTemplate).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return reminders() == 1 }, 10*time.Second, 10*time.Millisecond, "the reminder due at 10:00 is queued at Start")
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(recovered.WithLabelValues("sms_uncertain")) == 1
	}, 10*time.Second, 10*time.Millisecond, "the dead worker's claim is settled and counted")
	require.Equal(t, "uncertain", b.smsRow(t, stranded).Status)
	require.Eventually(t, func() bool { return rounds.Load() >= 2 }, 10*time.Second, 10*time.Millisecond, "message-call rounds")

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, h.Shutdown(sctx))
	after := rounds.Load()
	require.Equal(t, 1, reminders(), "the notices ran at Start only (their interval is a minute)")
	require.Equal(t, after, rounds.Load(), "no round after Shutdown")
}

// A Housekeeper never started shuts down at once; zero intervals take the defaults.
func TestHousekeeperDefaults(t *testing.T) {
	h := NewHousekeeper(HousekeeperConfig{})
	require.NoError(t, h.Shutdown(context.Background()))
	require.Equal(t, []time.Duration{5 * time.Second, 10 * time.Minute, time.Minute, 15 * time.Second},
		[]time.Duration{h.cfg.SweepEvery, h.cfg.DailyEvery, h.cfg.NoticesEvery, h.cfg.CallsEvery})
}
