package notify

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// noticeFixture makes one customer with a vehicle at the dealer and returns their ids.
func (b *workBundle) noticeCustomer(t *testing.T, phone string) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	var c, v int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王', '先生', $2) RETURNING id`, b.dealer, phone).Scan(&c))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO vehicles (dealer_id, customer_id, vin, plate, delivery_day) VALUES ($1, $2, $3, '粤A12345', '2025-01-01') RETURNING id`,
		b.dealer, c, fmt.Sprintf("LHGCV1658%08d", c)).Scan(&v))
	return c, v
}

func (b *workBundle) countSMS(t *testing.T, template, status string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM sms_messages WHERE template = $1 AND status = $2`, template, status).Scan(&n))
	return n
}

// The appointment reminder goes at 10:00 the day before, or at once for a later booking
// before 21:00, never after 21:00 that day, never twice, and not for a cancelled one.
func TestAppointmentReminderSMS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		at       string // the appointment, local
		booked   string // when it was booked, local
		status   string
		runs     []string // the notices run at these local times, in order
		sentAt   string   // the run that queues it; "" never
		dnc      bool
		suppress bool
	}{
		{name: "the day before at 10:00", at: "2026-12-10 09:30", booked: "2026-12-01 11:00", status: "booked",
			runs: []string{"2026-12-08 10:00", "2026-12-09 09:59", "2026-12-09 10:00", "2026-12-09 10:01", "2026-12-09 18:00"}, sentAt: "2026-12-09 10:00"},
		{name: "a late run the same day still sends", at: "2026-12-10 09:30", booked: "2026-12-01 11:00", status: "booked",
			runs: []string{"2026-12-09 16:20"}, sentAt: "2026-12-09 16:20"},
		{name: "not after 21:00, not the next morning", at: "2026-12-10 09:30", booked: "2026-12-01 11:00", status: "booked",
			runs: []string{"2026-12-09 21:00", "2026-12-10 08:00"}},
		{name: "booked later that day: at once", at: "2026-12-10 09:30", booked: "2026-12-09 15:00", status: "booked",
			runs: []string{"2026-12-09 14:59", "2026-12-09 15:00"}, sentAt: "2026-12-09 15:00"},
		{name: "booked after 21:00: not at all", at: "2026-12-10 09:30", booked: "2026-12-09 21:30", status: "booked",
			runs: []string{"2026-12-09 21:31", "2026-12-10 08:00"}},
		{name: "booked the same morning: at once", at: "2026-12-10 14:00", booked: "2026-12-10 08:00", status: "booked",
			runs: []string{"2026-12-10 08:01"}, sentAt: "2026-12-10 08:01"},
		{name: "cancelled", at: "2026-12-10 09:30", booked: "2026-12-01 11:00", status: "cancelled", runs: []string{"2026-12-09 10:00"}},
		{name: "do not call: suppressed", at: "2026-12-10 09:30", booked: "2026-12-01 11:00", status: "booked",
			runs: []string{"2026-12-09 10:00"}, dnc: true, suppress: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newWorkBundle(t, 0)
			ctx := context.Background()
			c, _ := b.noticeCustomer(t, "13912340001")
			at := b.at(t, tc.at)
			_, err := b.db.Exec(ctx, `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, status, source, created_at)
				VALUES ($1, $2, $3, $4, 'maintenance', $5, 'call', $6)`, b.dealer, c, at, day(tc.at[:10]), tc.status, b.at(t, tc.booked))
			require.NoError(t, err)
			if tc.dnc {
				_, err := b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13912340001')`, b.dealer)
				require.NoError(t, err)
			}
			for _, run := range tc.runs {
				res, err := QueueServiceNotices(ctx, b.db, b.dealer, b.at(t, run))
				require.NoError(t, err)
				want := 0
				if run == tc.sentAt && !tc.suppress {
					want = 1
				}
				require.Equal(t, want, res.Reminders, "run at %s", run)
			}
			queued := b.countSMS(t, AppointmentReminderTemplate, "queued")
			if tc.suppress {
				require.Equal(t, 1, b.countSMS(t, AppointmentReminderTemplate, "suppressed"))
				require.Zero(t, queued)
				return
			}
			if tc.sentAt == "" {
				require.Zero(t, queued)
				return
			}
			require.Equal(t, 1, queued)
			var body, key string
			var outbox int
			require.NoError(t, b.db.QueryRow(ctx, `SELECT body, idempotency_key, (SELECT count(*) FROM outbox WHERE task_type = 'sms:send') FROM sms_messages`).Scan(&body, &key, &outbox))
			require.Contains(t, body, "王先生您好，提醒您已预约")
			require.Contains(t, body, at.In(b.loc).Format("1月2日 15:04")+" 保养")
			require.Equal(t, 1, outbox)
		})
	}
}

// The thank-you SMS after a workshop visit on D: at 18:00 on D, at once for a visit known
// later before 21:00, else at 09:00 on D+1; once per customer and day; history loaded
// later gets none.
func TestThankYouSMS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		known  string // when the visit of 2026-12-10 was recorded, local
		runs   []string
		sentAt string
	}{
		{name: "at 18:00", known: "2026-12-10 11:00", runs: []string{"2026-12-10 17:59", "2026-12-10 18:00", "2026-12-10 18:30", "2026-12-11 09:00"}, sentAt: "2026-12-10 18:00"},
		{name: "known at 19:00: at once", known: "2026-12-10 19:00", runs: []string{"2026-12-10 19:00"}, sentAt: "2026-12-10 19:00"},
		{name: "known at 22:00: 09:00 the next day", known: "2026-12-10 22:00", runs: []string{"2026-12-10 22:01", "2026-12-11 08:59", "2026-12-11 09:00"}, sentAt: "2026-12-11 09:00"},
		{name: "loaded ten days later: none", known: "2026-12-20 10:00", runs: []string{"2026-12-20 10:00", "2026-12-20 18:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newWorkBundle(t, 0)
			ctx := context.Background()
			c, v := b.noticeCustomer(t, "13912340002")
			for _, label := range []string{"保养", "洗车"} { // two lines of one visit: one SMS
				_, err := b.db.Exec(ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label, created_at)
					VALUES ($1, $2, $3, '2026-12-10', 'maintenance', $4, $5)`, b.dealer, v, c, label, b.at(t, tc.known))
				require.NoError(t, err)
			}
			for _, run := range tc.runs {
				res, err := QueueServiceNotices(ctx, b.db, b.dealer, b.at(t, run))
				require.NoError(t, err)
				want := 0
				if run == tc.sentAt {
					want = 1
				}
				require.Equal(t, want, res.ThankYous, "run at %s", run)
			}
			want := 0
			if tc.sentAt != "" {
				want = 1
			}
			require.Equal(t, want, b.countSMS(t, ThankYouTemplate, "queued"))
		})
	}
}
