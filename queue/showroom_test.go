package queue

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

func (b *workBundle) recordVisit(t testing.TB, v ShowroomVisit) *ShowroomVisitResult {
	t.Helper()
	v.DealerID = b.dealer
	var res *ShowroomVisitResult
	require.NoError(t, store.WithTx(context.Background(), b.db, func(tx pgx.Tx) error {
		var err error
		res, err = RecordShowroomVisit(context.Background(), tx, v)
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

func TestShowroomVisitRequestsTheDaysBuild(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	arrived := b.at(t, "2026-11-23 15:00")
	left := arrived.Add(90 * time.Minute)
	v := ShowroomVisit{Phone: "13912345678", Name: "王", Title: "先生", ArrivedAt: arrived, Consultant: "张伟", IntentLevel: "A"}

	res := b.recordVisit(t, v)
	require.Nil(t, res.LeftAt)
	require.Equal(t, day("2026-11-23"), res.Day)
	require.Equal(t, []string{TypeBuild}, b.outboxTypes(t))

	v.LeftAt = &left
	res2 := b.recordVisit(t, v)
	require.Equal(t, res.VisitID, res2.VisitID, "same visit, now with its leave time")
	require.True(t, left.Equal(*res2.LeftAt))
	require.Equal(t, []string{TypeBuild, TypeBuild}, b.outboxTypes(t), "the leave-store SMS is queue/notify's")
	require.Equal(t, "13912345678", res2.Phone)
	require.Equal(t, []string{"王", "先生"}, []string{res2.Name, res2.Title})

	var prospect string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT prospect_status FROM customers WHERE id = $1`, res.CustomerID).Scan(&prospect))
	require.Equal(t, "open", prospect)
}

func TestShowroomVisitRejectsBadInput(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	arrived := b.at(t, "2026-11-23 15:00")
	early := arrived.Add(-time.Minute)
	for _, v := range []ShowroomVisit{
		{Phone: "12345", ArrivedAt: arrived},
		{Phone: "13912345678"},
		{Phone: "13912345678", ArrivedAt: arrived, LeftAt: &early},
		{Phone: "13912345678", ArrivedAt: arrived, Title: "Mr"},
	} {
		v.DealerID = b.dealer
		err := store.WithTx(context.Background(), b.db, func(tx pgx.Tx) error {
			_, err := RecordShowroomVisit(context.Background(), tx, v)
			return err
		})
		require.Error(t, err, "%+v", v)
	}
}

// testLogWriter sends log lines to the test's log.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
