package notify

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// capturingSender records what reaches the SMS sender and marks it sent.
type capturingSender struct {
	mu   sync.Mutex
	got  []SMS
	next Sender
}

func (s *capturingSender) Send(ctx context.Context, m SMS) error {
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	return s.next.Send(ctx, m)
}

// An appointment booked in a call is on the desk's list, its reminder reaches the SMS
// sender at 10:00 the day before (injected clock), and without a visit the no_show call
// is in the queue the next day, on a fixed calendar.
func TestAppointmentFromCallToNoShow(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	c, _ := b.noticeCustomer(t, "13912340003")
	var task int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day)
		VALUES ($1, $2, 50, '2026-12-08', '2026-12-15') RETURNING id`, b.dealer, c).Scan(&task))
	called := b.at(t, "2026-12-08 10:00")
	var attempt int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_attempts (dealer_id, task_id, agent_user_id, call_id, to_number, invite_at, answer_at, end_at, outcome)
		VALUES ($1, $2, $3, 'flow-1', '13912340003', $4, $4, $4, 'answered') RETURNING id`, b.dealer, task, b.agents[0], called).Scan(&attempt))
	at := b.at(t, "2026-12-10 09:30")
	_, err := queue.RecordOutcome(ctx, b.db, queue.OutcomeParams{DealerID: b.dealer, ClientID: "flow-outcome", TaskID: task,
		AgentUserID: b.agents[0], Code: "appointment", AppointmentAt: &at, AttemptID: attempt, Now: called.Add(time.Minute)})
	require.NoError(t, err)
	// The booking was made on 12-08 (the database clock is not the test's): say so.
	_, err = b.db.Exec(ctx, `UPDATE appointments SET created_at = $1`, called.Add(time.Minute))
	require.NoError(t, err)

	// The desk's list of 12-09 (today) and 12-10 (tomorrow).
	desk, err := store.New(b.db).DeskAppointments(ctx, store.DeskAppointmentsParams{DealerID: b.dealer, Days: []time.Time{day("2026-12-09"), day("2026-12-10")}})
	require.NoError(t, err)
	require.Len(t, desk, 1)
	require.Equal(t, c, desk[0].CustomerID)
	require.True(t, at.Equal(desk[0].At))

	// The reminder: nothing at 09:59 the day before, queued at 10:00 and sent.
	res, err := QueueServiceNotices(ctx, b.db, b.dealer, b.at(t, "2026-12-09 09:59"))
	require.NoError(t, err)
	require.Zero(t, res.Reminders)
	now := b.at(t, "2026-12-09 10:00")
	res, err = QueueServiceNotices(ctx, b.db, b.dealer, now)
	require.NoError(t, err)
	require.Equal(t, 1, res.Reminders)
	var payload json.RawMessage
	require.NoError(t, b.db.QueryRow(ctx, `SELECT payload FROM outbox WHERE task_type = $1 ORDER BY id DESC LIMIT 1`, TypeSMSSend).Scan(&payload))
	var p SMSSendPayload
	require.NoError(t, json.Unmarshal(payload, &p))
	sender := &capturingSender{next: LogSender{DB: b.db, Log: quietLog(), Now: func() time.Time { return now }}}
	h := &smsHandlers{db: b.db, log: quietLog(), now: func() time.Time { return now }, sender: sender}
	task2, err := NewSMSSendTask(p.MessageID)
	require.NoError(t, err)
	require.NoError(t, h.handleSMSSend(ctx, task2))
	require.Len(t, sender.got, 1)
	require.Equal(t, "13912340003", sender.got[0].Phone)
	require.Contains(t, sender.got[0].Body, "提醒您已预约12月10日 09:30")
	res, err = QueueServiceNotices(ctx, b.db, b.dealer, b.at(t, "2026-12-09 15:00"))
	require.NoError(t, err)
	require.Zero(t, res.Reminders, "once")

	// No visit on 12-10: the no_show call is there on 12-11, not on 12-10.
	held := func(d string) bool {
		_, err := queue.Build(ctx, b.db, queue.BuildParams{DealerID: b.dealer, Day: day(d)})
		require.NoError(t, err)
		list, err := queue.List(ctx, b.db, queue.ListParams{DealerID: b.dealer, Day: day(d)})
		require.NoError(t, err)
		for _, x := range list {
			for _, camp := range x.Campaigns {
				if x.CustomerID == c && camp == queue.CampaignNoShow {
					return true
				}
			}
		}
		return false
	}
	require.False(t, held("2026-12-10"))
	require.True(t, held("2026-12-11"))
}
