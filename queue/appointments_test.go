package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// An appointment booked in a call is an appointments row (source call); a later booking
// reschedules the open one.
func TestOutcomeAppointmentBooks(t *testing.T) {
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	var cust int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id`, b.dealer).Scan(&cust))
	book := func(client string, at time.Time) {
		var task int64
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day)
			VALUES ($1, $2, 50, '2026-11-22', '2026-11-30') RETURNING id`, b.dealer, cust).Scan(&task))
		b.call(t, task, true, b.at(t, "2026-11-22 09:55"))
		_, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: client, TaskID: task, AgentUserID: b.agents[0],
			Code: "appointment", AppointmentAt: &at, Now: b.at(t, "2026-11-22 10:00")})
		require.NoError(t, err)
	}
	book("o1", b.at(t, "2026-11-25 10:30"))
	var status, source, day string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status, source, day::text FROM appointments WHERE customer_id = $1`, cust).Scan(&status, &source, &day))
	require.Equal(t, []string{"booked", "call", "2026-11-25"}, []string{status, source, day})
	book("o2", b.at(t, "2026-11-26 09:00"))
	rows, err := b.db.Query(ctx, `SELECT day::text || ' ' || status FROM appointments WHERE customer_id = $1 ORDER BY id`, cust)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		got = append(got, s)
	}
	require.Equal(t, []string{"2026-11-25 rescheduled", "2026-11-26 booked"}, got)
}
