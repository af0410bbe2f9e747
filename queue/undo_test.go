package queue

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// state is what an outcome may change, read for comparing before and after an undo.
func (b *workBundle) state(t testing.TB, customer int64, phone string) string {
	t.Helper()
	var s string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT jsonb_build_object(
		'tasks', (SELECT jsonb_agg(jsonb_build_object('id', id, 'status', status, 'taken_by', taken_by, 'attempts', attempts,
			'not_before', not_before, 'outcome', outcome, 'closed_at', closed_at) ORDER BY id) FROM call_tasks WHERE customer_id = $1),
		'reasons', (SELECT jsonb_agg(status ORDER BY id) FROM call_task_reasons WHERE customer_id = $1),
		'customer', (SELECT to_jsonb(c) - 'updated_at' FROM customers c WHERE id = $1),
		'vehicles', (SELECT jsonb_agg(jsonb_build_object('active', active, 'inactive_on', inactive_on) ORDER BY id) FROM vehicles WHERE customer_id = $1),
		'readings', (SELECT jsonb_agg(jsonb_build_object('day', o.day, 'km', o.km) ORDER BY o.day) FROM odometer_readings o JOIN vehicles v ON v.id = o.vehicle_id WHERE v.customer_id = $1),
		'complaints', (SELECT jsonb_agg(jsonb_build_object('id', id, 'status', status, 'closed_on', closed_on, 'severity', severity) ORDER BY id) FROM complaints WHERE customer_id = $1),
		'complaint_events', (SELECT count(*) FROM complaint_events e JOIN complaints k ON k.id = e.complaint_id WHERE k.customer_id = $1),
		'appointments', (SELECT jsonb_agg(jsonb_build_object('id', id, 'status', status) ORDER BY id) FROM appointments WHERE customer_id = $1),
		'dnc', (SELECT count(*) FROM do_not_call WHERE phone = $2),
		'sms', (SELECT jsonb_agg(status ORDER BY id) FROM sms_messages WHERE phone = $2),
		'consent', (SELECT count(*) FROM sms_consent WHERE phone = $2),
		'history', (SELECT count(*) FROM prospect_history WHERE customer_id = $1),
		'outcomes', (SELECT count(*) FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id WHERE t.customer_id = $1))::text`,
		customer, phone).Scan(&s))
	return s
}

// TestUndoPutsEverythingBack: for each outcome, undone within the time allowed, the task,
// its reasons and everything the outcome set in motion are as they were before it; the
// audit keeps both; the call is free for a new outcome.
func TestUndoPutsEverythingBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		p    OutcomeParams
	}{
		{"reached with mileage and intent", OutcomeParams{Code: "reached", Answers: json.RawMessage(`{"mileage":{"text":"15000"},"intent_level":{"label":"A"}}`)}},
		{"appointment rescheduling another", OutcomeParams{Code: "appointment"}},
		{"complaint", OutcomeParams{Code: "complaint", ComplaintCategory: "服务态度", Notes: "等太久"}},
		{"do not call", OutcomeParams{Code: "do_not_call"}},
		{"sms opt-out", OutcomeParams{Code: "reached", SMSOptOut: true}},
		{"wrong number", OutcomeParams{Code: "wrong_number"}},
		{"callback mine", OutcomeParams{Code: "callback", CallbackMine: true}},
		{"no answer", OutcomeParams{Code: "no_answer"}},
		{"not owner", OutcomeParams{Code: "not_owner"}},
		{"moved away", OutcomeParams{Code: "moved_away"}},
		{"key prospect lost", OutcomeParams{Code: "reached", WriteBack: WriteBack{ProspectResult: ProspectLost, LostReason: "没有现车"}}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newWorkBundle(t, 1)
			ctx := context.Background()
			phone := "1390000" + string(rune('1'+i/10)) + string(rune('0'+i%10)) + "00"
			now := b.at(t, "2026-11-23 10:00")
			id := b.addTask(t, taskOpts{phone: phone, campaigns: []string{"key_prospect"}})
			c := b.customerOf(t, id)
			v := b.vehicleFor(t, c, "LUNDO000000000001", "2026-01-10")
			_, err := b.db.Exec(ctx, `UPDATE customers SET prospect_status = 'key', intent_level = 'H', status_day = '2026-11-01' WHERE id = $1`, c)
			require.NoError(t, err)
			_, err = b.db.Exec(ctx, `INSERT INTO odometer_readings (vehicle_id, day, km) VALUES ($1, '2026-06-01', 8000)`, v)
			require.NoError(t, err)
			b.smsMsg(t, phone, "marketing")
			_, err = b.db.Exec(ctx, `INSERT INTO appointments (dealer_id, customer_id, at, day, kind, source) VALUES ($1, $2, $3, '2026-11-30', 'maintenance', 'director')`,
				b.dealer, c, b.at(t, "2026-11-30 10:00"))
			require.NoError(t, err)
			// The agent holds the task when saving, as the console does.
			_, err = b.take(t, b.agents[0], now.Add(-time.Minute))
			require.NoError(t, err)
			b.call(t, id, true, now)
			before := b.state(t, c, phone)

			p := tc.p
			p.DealerID, p.AgentUserID, p.TaskID, p.ClientID, p.Now = b.dealer, b.agents[0], id, "form-"+tc.name, now
			if p.Code == "appointment" {
				at := b.at(t, "2026-11-25 10:00")
				p.AppointmentAt = &at
			}
			if p.Code == "callback" {
				at := b.at(t, "2026-11-24 10:00")
				p.CallbackAt = &at
			}
			_, err = RecordOutcome(ctx, b.db, p)
			require.NoError(t, err)
			require.NotEqual(t, before, b.state(t, c, phone), "the outcome changed something")

			res, err := UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: p.ClientID, Now: now.Add(59 * time.Second)})
			require.NoError(t, err)
			require.Equal(t, id, res.TaskID)
			require.Equal(t, before, b.state(t, c, phone))
			var audits int
			require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action IN ('call.outcome', 'call.outcome_undone')`, id).Scan(&audits))
			require.Equal(t, 2, audits, "the audit keeps the outcome and its undo")

			// The call is free again: a new outcome of it is saved.
			_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, AgentUserID: b.agents[0], TaskID: id, ClientID: "again", Code: "reached", Now: now.Add(time.Minute)})
			require.NoError(t, err)
			require.Equal(t, StatusDone, b.taskStatus(t, id))
		})
	}
}

func TestUndoLimits(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	id := b.addTask(t, taskOpts{phone: "13900000041"})
	b.call(t, id, true, now)
	_, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, AgentUserID: b.agents[0], TaskID: id, ClientID: "f1", Code: "reached", Now: now})
	require.NoError(t, err)

	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[1], ClientID: "f1", Now: now})
	require.ErrorIs(t, err, ErrUndoNotFound, "another agent's outcome")
	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "nope", Now: now})
	require.ErrorIs(t, err, ErrUndoNotFound)
	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "f1", Now: now.Add(61 * time.Second)})
	require.ErrorIs(t, err, ErrUndoTooLate, "past the 60 s default")

	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "outcome_undo_seconds", 120))
	res, err := UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "f1", Now: now.Add(61 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, "reached", res.Code)
	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "f1", Now: now.Add(62 * time.Second)})
	require.ErrorIs(t, err, ErrUndoNotFound, "undone once")

	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "outcome_undo_seconds", 0))
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, AgentUserID: b.agents[0], TaskID: id, ClientID: "f2", Code: "reached", Now: now.Add(2 * time.Minute)})
	require.NoError(t, err)
	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "f2", Now: now.Add(2 * time.Minute)})
	require.ErrorIs(t, err, ErrUndoTooLate, "undo off")
}

// TestUndoSatisfactionCallPutsTheComplaintBack: the satisfaction call that closed a
// resolved complaint is undone: the complaint is resolved again and its "closed" event gone.
func TestUndoSatisfactionCallPutsTheComplaintBack(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")
	id := b.addTask(t, taskOpts{phone: "13900000051", campaigns: []string{"complaint"}})
	c := b.customerOf(t, id)
	var k int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO complaints (dealer_id, customer_id, opened_on, closed_on, category, description, status, source)
		VALUES ($1, $2, '2026-11-10', '2026-11-18', '服务态度', '等太久', 'resolved', 'call') RETURNING id`, b.dealer, c).Scan(&k))
	_, err := b.db.Exec(ctx, `UPDATE call_task_reasons SET occurrence = 'k' || $2::bigint || ':closed', facts = jsonb_build_object('complaint_id', $2::bigint) WHERE task_id = $1`, id, k)
	require.NoError(t, err)
	b.call(t, id, true, now)
	before := b.state(t, c, "13900000051")
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, AgentUserID: b.agents[0], TaskID: id, ClientID: "sat", Code: "reached", Now: now,
		Answers: json.RawMessage(`{"satisfaction":{"kind":"score","score":5}}`)})
	require.NoError(t, err)
	var status string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM complaints WHERE id = $1`, k).Scan(&status))
	require.Equal(t, "closed", status, "a 5 closes the resolved complaint")
	_, err = UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: b.agents[0], ClientID: "sat", Now: now.Add(10 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, before, b.state(t, c, "13900000051"))
}
