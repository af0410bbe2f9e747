package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// claimAs puts a message in 'sending', claimed at `at` by worker `by`.
func (b *workBundle) claimAs(t testing.TB, id int64, by string, at time.Time) {
	t.Helper()
	_, err := b.db.Exec(context.Background(), `UPDATE sms_messages SET status = 'sending', claimed_by = $2, claimed_at = $3 WHERE id = $1`, id, by, at)
	require.NoError(t, err)
}

func (b *workBundle) beat(t testing.TB, worker string, at time.Time) {
	t.Helper()
	require.NoError(t, store.New(b.db).BeatQueueWorker(context.Background(), store.BeatQueueWorkerParams{ID: worker, At: at}))
}

// TestSMSSweepStrandsADeadWorkersClaimsInSeconds: the claims of a worker whose heartbeat
// stopped (killed) or is gone (stopped) are stranded after the worker timeout, not the
// ten-minute claim timeout; a live worker's claims and claims made outside a worker are
// left alone. Stranded messages become uncertain, never queued again.
func TestSMSSweepStrandsADeadWorkersClaimsInSeconds(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	killed, stopped, live, outside := b.smsMsg(t, "13900000051", "service"), b.smsMsg(t, "13900000052", "service"),
		b.smsMsg(t, "13900000053", "service"), b.smsMsg(t, "13900000054", "service")
	b.beat(t, "w-killed", now.Add(-20*time.Second))
	b.beat(t, "w-live", now.Add(-2*time.Second))
	for id, by := range map[int64]string{killed: "w-killed", stopped: "w-stopped", live: "w-live", outside: ""} {
		b.claimAs(t, id, by, now.Add(-20*time.Second))
	}
	res, err := (&SMSSweep{DB: b.db, WorkerTimeout: 15 * time.Second, Log: quietLog()}).Run(ctx, now)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{killed, stopped}, res.Uncertain)
	require.Zero(t, res.Released, "nothing is sent again")
	for id, want := range map[int64]string{killed: "uncertain", stopped: "uncertain", live: "sending", outside: "sending"} {
		require.Equal(t, want, b.smsRow(t, id).Status, "message %d", id)
	}
}

// fakeConfirmer answers per message id: accepted, not accepted, or unknown.
type fakeConfirmer map[int64]string

func (f fakeConfirmer) Confirm(_ context.Context, m OutgoingSMS, _ time.Time) (bool, bool, string, error) {
	switch f[m.ID] {
	case "accepted":
		return true, true, fmt.Sprintf("p-%d", m.ID), nil
	case "not accepted":
		return false, true, "", nil
	case "later":
		return false, false, "", laterError{}
	}
	return false, false, "", nil
}

// laterError is a provider's "cannot say yet".
type laterError struct{}

func (laterError) Error() string { return "not listed yet" }
func (laterError) Later() bool   { return true }

// TestSMSSweepAsksTheProvider: a stranded message the provider confirms it took is sent,
// one it confirms it never took is queued and released again (sent once), one it cannot
// say anything about yet stays in sending until it can, and one it cannot say is uncertain.
func TestSMSSweepAsksTheProvider(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	took, never, unknown := b.smsMsg(t, "13900000061", "service"), b.smsMsg(t, "13900000062", "service"), b.smsMsg(t, "13900000063", "service")
	later := b.smsMsg(t, "13900000064", "service")
	for _, id := range []int64{took, never, unknown, later} {
		b.claimAs(t, id, "w-gone", now.Add(-time.Minute))
	}
	conf := fakeConfirmer{took: "accepted", never: "not accepted", later: "later"}
	res, err := (&SMSSweep{DB: b.db, Confirmer: conf, Log: quietLog()}).Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Confirmed)
	require.Equal(t, 1, res.Requeued)
	require.Equal(t, []int64{unknown}, res.Uncertain)
	require.Equal(t, 1, res.Released, "the message never taken is released again")
	require.Equal(t, "sent", b.smsRow(t, took).Status)
	require.Equal(t, "queued", b.smsRow(t, never).Status)
	require.Equal(t, "uncertain", b.smsRow(t, unknown).Status)
	require.Equal(t, 1, res.Later)
	require.Equal(t, "sending", b.smsRow(t, later).Status, "asked again at the next sweep")
	conf[later] = "not accepted"
	res, err = (&SMSSweep{DB: b.db, Confirmer: conf, Log: quietLog()}).Run(ctx, now.Add(5*time.Second))
	require.NoError(t, err)
	require.Equal(t, 1, res.Requeued)
	require.Equal(t, "queued", b.smsRow(t, later).Status)
}

// TestDecideUncertainSMS: a director settles uncertain messages: sent, resend (queued and
// released again by the sweep), give up; each decision is audited; a message a late
// report settled meanwhile is left alone; an unknown decision is refused.
func TestDecideUncertainSMS(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	var ids []int64
	for i := 0; i < 4; i++ {
		id := b.smsMsg(t, fmt.Sprintf("1390000007%d", i), "service")
		b.claimAs(t, id, "w-gone", now.Add(-time.Minute))
		ids = append(ids, id)
	}
	res, err := (&SMSSweep{DB: b.db, Log: quietLog()}).Run(ctx, now)
	require.NoError(t, err)
	require.Len(t, res.Uncertain, 4)
	n, err := store.New(b.db).CountUncertainSMS(ctx, b.dealer)
	require.NoError(t, err)
	require.EqualValues(t, 4, n)

	// A late delivery report settles the last one.
	_, err = store.New(b.db).RecordSMSReport(ctx, store.RecordSMSReportParams{ID: ids[3], Kind: "delivered", Code: "1", At: now})
	require.NoError(t, err)

	_, err = DecideUncertainSMS(ctx, b.db, b.dealer, 0, ids[:1], "maybe")
	require.ErrorContains(t, err, "unknown decision")
	for i, d := range []string{UncertainSent, UncertainResend, UncertainGiveUp} {
		n, err := DecideUncertainSMS(ctx, b.db, b.dealer, 0, []int64{ids[i], ids[3]}, d)
		require.NoError(t, err)
		require.Equal(t, 1, n, d)
	}
	require.Equal(t, "sent", b.smsRow(t, ids[0]).Status)
	require.Equal(t, "queued", b.smsRow(t, ids[1]).Status)
	require.Equal(t, "failed", b.smsRow(t, ids[2]).Status)
	require.Equal(t, "delivered", b.smsRow(t, ids[3]).Status)
	var audits int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_uncertain.decide'`).Scan(&audits))
	require.Equal(t, 3, audits)
	res, err = (&SMSSweep{DB: b.db, Log: quietLog()}).Run(ctx, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Released, "the resent message is released again")
}
