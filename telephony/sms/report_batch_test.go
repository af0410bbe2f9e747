package sms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// batchMessages inserts n messages in status 'sending' and returns their ids.
func batchMessages(t *testing.T, db *pgxpool.Pool, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	d, err := store.New(db).EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "测试4S店"})
	require.NoError(t, err)
	rows, err := db.Query(ctx, `INSERT INTO sms_messages (dealer_id, phone, body, status, idempotency_key)
		SELECT $1, (13900000000 + g)::text, '您好', 'sending', 'k' || g FROM generate_series(1, $2::int) g RETURNING id`, d.ID, n)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return ids
}

func TestReportBatcherConcurrentReports(t *testing.T) {
	db := storetest.New(t)
	ids := batchMessages(t, db, 300)
	b := NewReportBatcher(db, 64)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()
	rec := &Recorder{DB: db, Batch: b}

	// Each message gets "SMSC accepted" then "delivered" (odd ids fail instead), in
	// order, from its own goroutine: 600 reports, many sharing a statement.
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)*2)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			final := "delivered"
			if i%2 == 1 {
				final = "failed"
			}
			for _, kind := range []string{"submitted", final} {
				errs <- rec.RecordReport(context.Background(), Report{MessageID: id, Kind: kind, Code: kind, Detail: "x", At: at})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	// A report for a message that does not exist names it; the others still land.
	err := rec.RecordReport(context.Background(), Report{MessageID: 999999999, Kind: "delivered", At: at})
	require.ErrorContains(t, err, "no message 999999999")

	cancel()
	<-stopped
	// After Run has returned, reports are written one by one.
	require.NoError(t, rec.RecordReport(context.Background(), Report{MessageID: ids[0], Kind: "delivered", Code: "1", At: at}))

	var delivered, failed, events int
	require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'delivered'),
		count(*) FILTER (WHERE status = 'failed') FROM sms_messages`).Scan(&delivered, &failed))
	require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM sms_events`).Scan(&events))
	require.Equal(t, 150, delivered)
	require.Equal(t, 150, failed)
	require.Equal(t, 601, events)
}

func TestReportBatcherGatherSplitsRepeatedMessage(t *testing.T) {
	b := NewReportBatcher(nil, 10)
	for _, id := range []int64{1, 2, 1, 3} {
		b.in <- pendingReport{rep: Report{MessageID: id}}
	}
	batch, carry := b.gather(nil)
	require.Len(t, batch, 2, "the second report for message 1 starts the next batch")
	require.Len(t, carry, 1)
	require.Equal(t, int64(1), carry[0].rep.MessageID)
	batch, carry = b.gather(carry)
	require.Len(t, batch, 2)
	require.Empty(t, carry)
	require.Equal(t, []int64{1, 3}, []int64{batch[0].rep.MessageID, batch[1].rep.MessageID})
}

func TestReportBatcherOrderWithinMessage(t *testing.T) {
	db := storetest.New(t)
	ids := batchMessages(t, db, 1)
	b := NewReportBatcher(db, 10)
	// Hand over "SMSC accepted" at t1 then "delivered" at t2 for the same message before
	// Run starts: both must apply, one after the other (sent at t1, delivered at t2).
	b.running = true
	t1 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	t2 := t1.Add(3 * time.Second)
	res := make([]chan error, 2)
	for i, r := range []Report{{MessageID: ids[0], Kind: "submitted", At: t1}, {MessageID: ids[0], Kind: "delivered", At: t2}} {
		res[i] = make(chan error, 1)
		b.in <- pendingReport{rep: r, res: res[i]}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go b.Run(ctx)
	for _, r := range res {
		require.NoError(t, <-r)
	}
	cancel()
	var status string
	var sent, delivered *time.Time
	require.NoError(t, db.QueryRow(context.Background(), `SELECT status, sent_at, delivered_at FROM sms_messages WHERE id = $1`, ids[0]).
		Scan(&status, &sent, &delivered))
	require.Equal(t, "delivered", status)
	require.NotNil(t, sent)
	require.NotNil(t, delivered)
	require.True(t, sent.Equal(t1), "sent_at from the first report, got %v", sent)
	require.True(t, delivered.Equal(t2), "delivered_at from the second report, got %v", delivered)
}
