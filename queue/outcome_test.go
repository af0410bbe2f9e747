package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (b *workBundle) attempt(t testing.TB, task int64, outcome string, at time.Time) *AttemptResult {
	t.Helper()
	res, err := RecordAttempt(context.Background(), b.db, AttemptParams{
		DealerID: b.dealer, TaskID: task, CallID: fmt.Sprintf("call-%d-%s-%d", task, outcome, at.UnixNano()),
		AgentUserID: b.agents[0], Outcome: outcome, At: at,
	})
	require.NoError(t, err)
	return res
}

func TestRetrySpacingPerOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		outcome string
		wait    time.Duration
	}{
		{CallBusy, 30 * time.Minute},
		{CallDeclined, 30 * time.Minute},
		{CallNoAnswer, 2 * time.Hour},
		{CallUnreachable, 4 * time.Hour},
	}
	b := newWorkBundle(t, 1)
	for i, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			id := b.addTask(t, taskOpts{phone: fmt.Sprintf("1380000000%d", i), priority: 100 + i})
			at := b.at(t, "2026-11-23 10:00")
			tk, err := b.take(t, b.agents[0], at)
			require.NoError(t, err)
			require.Equal(t, id, tk.ID)
			res := b.attempt(t, id, c.outcome, at)
			require.True(t, res.Counted)
			require.Equal(t, StatusOpen, res.TaskStatus)
			require.True(t, at.Add(c.wait).Equal(*res.NotBefore))

			tk, err = b.take(t, b.agents[0], at.Add(c.wait-time.Minute))
			if err == nil {
				require.NotEqual(t, id, tk.ID, "retried too early")
				_, err = b.db.Exec(context.Background(), `UPDATE call_tasks SET taken_by = NULL, taken_at = NULL WHERE id = $1`, tk.ID)
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrNoTask)
			}
			tk, err = b.take(t, b.agents[0], at.Add(c.wait))
			require.NoError(t, err)
			require.Equal(t, id, tk.ID)
			_, err = b.db.Exec(context.Background(), `UPDATE call_tasks SET status = 'done' WHERE id = $1`, id)
			require.NoError(t, err)
		})
	}
}

func TestAttemptLimitsPerDayAndLife(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	for _, at := range []string{"2026-11-23 09:00", "2026-11-23 11:00", "2026-11-23 13:00"} {
		_, err := b.take(t, b.agents[0], b.at(t, at))
		require.NoError(t, err)
		b.attempt(t, id, CallNoAnswer, b.at(t, at))
	}
	_, err := b.take(t, b.agents[0], b.at(t, "2026-11-23 18:00"))
	require.ErrorIs(t, err, ErrNoTask, "three attempts today")

	// A trunk failure is not a customer attempt, and reaching the customer is not a
	// failed one.
	res := b.attempt(t, id, CallTrunkFailure, b.at(t, "2026-11-24 09:00"))
	require.False(t, res.Counted)
	res = b.attempt(t, id, CallAnswered, b.at(t, "2026-11-24 09:00"))
	require.False(t, res.Counted)
	require.Equal(t, StatusOpen, res.TaskStatus)

	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-24 09:00"))
	require.NoError(t, err, "a new day")
	require.Equal(t, StatusOpen, b.attempt(t, id, CallBusy, b.at(t, "2026-11-24 09:00")).TaskStatus)
	_, err = b.take(t, b.agents[0], b.at(t, "2026-11-24 09:30"))
	require.NoError(t, err)
	res = b.attempt(t, id, CallNoAnswer, b.at(t, "2026-11-24 09:31"))
	require.Equal(t, StatusUnreachable, res.TaskStatus, "fifth attempt closes the task")
	require.Equal(t, StatusUnreachable, b.taskStatus(t, id))

	var attempts, today int
	var reason string
	require.NoError(t, b.db.QueryRow(context.Background(),
		`SELECT t.attempts, t.attempts_today, r.status FROM call_tasks t JOIN call_task_reasons r ON r.task_id = t.id WHERE t.id = $1`, id).
		Scan(&attempts, &today, &reason))
	require.Equal(t, 5, attempts)
	require.Equal(t, 2, today)
	require.Equal(t, "handled", reason)
}

func TestAttemptReportedTwiceAppliesOnce(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	p := AttemptParams{DealerID: b.dealer, TaskID: id, CallID: "c1", Outcome: CallBusy, At: b.at(t, "2026-11-23 10:00")}
	first, err := RecordAttempt(context.Background(), b.db, p)
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	again, err := RecordAttempt(context.Background(), b.db, p)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	var attempts int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT attempts FROM call_tasks WHERE id = $1`, id).Scan(&attempts))
	require.Equal(t, 1, attempts)
}

// call records a call of the task by the first agent at at, answered or not, as the
// gateway would, and returns its call_attempts id.
func (b *workBundle) call(t testing.TB, task int64, answered bool, at time.Time) int64 {
	t.Helper()
	var answer *time.Time
	outcome := CallNoAnswer
	if answered {
		answer, outcome = &at, CallAnswered
	}
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO call_attempts (dealer_id, task_id, agent_user_id, call_id, to_number, invite_at, answer_at, end_at, outcome)
		SELECT t.dealer_id, t.id, $2, 'c-' || t.id || '-' || $3::timestamptz, c.phone, $3, $4, $3, $5
		FROM call_tasks t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1 RETURNING id`,
		task, b.agents[0], at, answer, outcome).Scan(&id))
	return id
}

// Every outcome is about a call of its task that no outcome used yet, and an outcome
// that says the customer was reached needs that call answered; refused, nothing is stored.
func TestOutcomeNeedsACall(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	at := b.at(t, "2026-11-23 10:00")
	cases := []struct {
		name    string
		call    string // "", "unanswered", "answered", "used", "other task"
		code    string
		wantErr error
	}{
		{"reached without a call", "", "reached", ErrNoCall},
		{"no answer without a call", "", "no_answer", ErrNoCall},
		{"appointment without a call", "", "appointment", ErrNoCall},
		{"reached on an unanswered call", "unanswered", "reached", ErrNotAnswered},
		{"callback on an unanswered call", "unanswered", "callback", ErrNotAnswered},
		{"complaint on an unanswered call", "unanswered", "complaint", ErrNotAnswered},
		{"no answer on an unanswered call", "unanswered", "no_answer", nil},
		{"reached on an answered call", "answered", "reached", nil},
		{"wrong number on an answered call", "answered", "wrong_number", nil},
		{"reached on a call an outcome used", "used", "reached", ErrNoCall},
		{"reached on another task's call", "other task", "reached", ErrNoCall},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := b.addTask(t, taskOpts{phone: fmt.Sprintf("1360000%04d", i)})
			var attempt int64
			switch c.call {
			case "unanswered":
				b.call(t, id, false, at)
			case "answered":
				b.call(t, id, true, at)
			case "used":
				first := b.call(t, id, true, at)
				cb := at.Add(time.Hour)
				_, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: c.name + "-first", TaskID: id,
					AgentUserID: b.agents[0], Code: "callback", CallbackAt: &cb, AttemptID: first, Now: at})
				require.NoError(t, err)
			case "other task":
				other := b.addTask(t, taskOpts{phone: fmt.Sprintf("1350000%04d", i)})
				attempt = b.call(t, other, true, at)
			}
			cb, appt := at.Add(time.Hour), at.Add(48*time.Hour)
			before := b.outcomes(t, id)
			res, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: c.name, TaskID: id, AgentUserID: b.agents[0],
				Code: c.code, AttemptID: attempt, CallbackAt: &cb, AppointmentAt: &appt, ComplaintCategory: "price", Now: at.Add(time.Minute)})
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				require.Equal(t, before, b.outcomes(t, id), "nothing stored")
				return
			}
			require.NoError(t, err)
			var linked *int64
			require.NoError(t, b.db.QueryRow(ctx, `SELECT attempt_id FROM call_outcomes WHERE id = $1`, res.OutcomeID).Scan(&linked))
			require.NotNil(t, linked, "the outcome names its call, so the records show it")
		})
	}
}

// outcomes counts the outcomes saved for a task.
func (b *workBundle) outcomes(t testing.TB, task int64) int {
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM call_outcomes WHERE task_id = $1`, task).Scan(&n))
	return n
}

func TestInvalidNumber(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	for _, via := range []string{"gateway", "outcome"} {
		t.Run(via, func(t *testing.T) {
			phone := map[string]string{"gateway": "13900000001", "outcome": "13900000002"}[via]
			id := b.addTask(t, taskOpts{phone: phone})
			at := b.at(t, "2026-11-23 10:00")
			if via == "gateway" {
				require.Equal(t, StatusInvalid, b.attempt(t, id, CallInvalidNumber, at).TaskStatus)
			} else {
				b.call(t, id, true, at)
				res, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "inv", TaskID: id, AgentUserID: b.agents[0], Code: "wrong_number", Now: at})
				require.NoError(t, err)
				require.Equal(t, StatusInvalid, res.TaskStatus)
			}
			require.Equal(t, StatusInvalid, b.taskStatus(t, id))
			var valid bool
			require.NoError(t, b.db.QueryRow(ctx, `SELECT phone_valid FROM customers WHERE phone = $1`, phone).Scan(&valid))
			require.False(t, valid)
		})
	}
}

func TestDoNotCallAcrossCampaignsAndSMS(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	id := b.addTask(t, taskOpts{phone: "13900000001", campaigns: []string{"maintenance"}})
	var cust int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT customer_id FROM call_tasks WHERE id = $1`, id).Scan(&cust))
	_, err := b.db.Exec(ctx, `INSERT INTO sms_messages (dealer_id, customer_id, phone, body, idempotency_key) VALUES ($1, $2, '13900000001', '生日快乐', 'bday')`, b.dealer, cust)
	require.NoError(t, err)
	now := b.at(t, "2026-11-23 10:00")
	b.call(t, id, true, now)

	res, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "dnc1", TaskID: id, AgentUserID: b.agents[0], Code: "do_not_call", Now: now})
	require.NoError(t, err)
	require.Equal(t, "dnc", res.Effect)
	require.Equal(t, StatusCancelled, b.taskStatus(t, id))
	var sms string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE idempotency_key = 'bday'`).Scan(&sms))
	require.Equal(t, "suppressed", sms)

	// A later task of another campaign for the same phone is never handed out.
	var other int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 100, '2026-11-23', '2026-11-30', '{recall}') RETURNING id`, b.dealer, cust).Scan(&other))
	_, err = b.take(t, b.agents[0], now.Add(time.Hour))
	require.ErrorIs(t, err, ErrNoTask)
}

// smsMsg inserts a queued message and returns its id.
func (b *workBundle) smsMsg(t testing.TB, phone, kind string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO sms_messages (dealer_id, phone, kind, body, idempotency_key)
		VALUES ($1, $2, $3, '【测试】你好', $4) RETURNING id`, b.dealer, phone, kind, fmt.Sprintf("t:%s:%s", phone, kind)).Scan(&id))
	return id
}

func TestOutcomeWithSMSOptOut(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	id := b.addTask(t, taskOpts{phone: "13900000003", campaigns: []string{"maintenance"}})
	mkt := b.smsMsg(t, "13900000003", "marketing")
	svc := b.smsMsg(t, "13900000003", "service")
	p := OutcomeParams{DealerID: b.dealer, ClientID: "sms-out-1", TaskID: id, AgentUserID: b.agents[0], Code: "reached",
		SMSOptOut: true, Notes: "客户说短信太多", Now: b.at(t, "2026-11-23 10:00")}
	b.call(t, id, true, p.Now)
	for range 2 { // a resend has no second effect
		_, err := RecordOutcome(ctx, b.db, p)
		require.NoError(t, err)
	}
	var state, source, detail string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT state, source, detail FROM sms_consent WHERE dealer_id = $1 AND phone = '13900000003'`, b.dealer).
		Scan(&state, &source, &detail))
	require.Equal(t, []string{"opted_out", "agent", "客户说短信太多"}, []string{state, source, detail})
	var logs int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_consent_log`).Scan(&logs))
	require.Equal(t, 1, logs)
	status := func(id int64) string {
		var s string
		require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
		return s
	}
	require.Equal(t, "suppressed", status(mkt))
	require.Equal(t, "queued", status(svc), "service SMS still go")
	require.Equal(t, StatusDone, b.taskStatus(t, id), "calls are not affected: the outcome applies as usual")
}

func TestCallbackMineOrAnyone(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 2)
	ctx := context.Background()
	me, other := b.agents[0], b.agents[1]
	for _, mine := range []bool{true, false} {
		t.Run(fmt.Sprintf("mine=%v", mine), func(t *testing.T) {
			id := b.addTask(t, taskOpts{phone: fmt.Sprintf("1390000000%d", map[bool]int{true: 1, false: 2}[mine]), exp: "2026-11-23"})
			now := b.at(t, "2026-11-23 10:00")
			_, err := b.take(t, me, now)
			require.NoError(t, err)
			b.call(t, id, true, now)
			// The customer asks to be called tomorrow, after the task's last day.
			cb := b.at(t, "2026-11-24 15:00")
			res, err := RecordOutcome(ctx, b.db, OutcomeParams{
				DealerID: b.dealer, ClientID: fmt.Sprintf("cb-%v", mine), TaskID: id, AgentUserID: me,
				Code: "callback", CallbackAt: &cb, CallbackMine: mine, Now: now,
			})
			require.NoError(t, err)
			require.Equal(t, StatusOpen, res.TaskStatus)

			_, err = b.take(t, other, cb.Add(-time.Minute))
			require.ErrorIs(t, err, ErrNoTask, "not before the callback time")
			tk, err := b.take(t, other, cb)
			if mine {
				require.ErrorIs(t, err, ErrNoTask, "pinned to the agent who chose mine")
				tk, err = b.take(t, me, cb)
			}
			require.NoError(t, err)
			require.Equal(t, id, tk.ID)
			_, err = b.db.Exec(ctx, `UPDATE call_tasks SET status = 'done' WHERE id = $1`, id)
			require.NoError(t, err)
		})
	}
}

func TestOutcomeSavedExactlyOnce(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	p := OutcomeParams{DealerID: b.dealer, ClientID: "form-1", TaskID: id, AgentUserID: b.agents[0], Code: "no_answer", Now: b.at(t, "2026-11-23 10:00")}
	b.call(t, id, false, p.Now)
	const n = 5
	results := make([]*OutcomeResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := RecordOutcome(ctx, b.db, p)
			if assertNoErr(t, err) {
				results[i] = r
			}
		}()
	}
	wg.Wait()
	firsts := 0
	for _, r := range results {
		require.NotNil(t, r)
		require.Equal(t, results[0].OutcomeID, r.OutcomeID)
		require.Equal(t, "retry", r.Effect)
		require.Equal(t, StatusOpen, r.TaskStatus)
		if !r.Duplicate {
			firsts++
		}
	}
	require.Equal(t, 1, firsts)
	var attempts, rows, audits int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT attempts FROM call_tasks WHERE id = $1`, id).Scan(&attempts))
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM call_outcomes`).Scan(&rows))
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'call.outcome'`).Scan(&audits))
	require.Equal(t, []int{1, 1, 1}, []int{attempts, rows, audits})
}

func TestOutcomeEffects(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	appt := b.at(t, "2026-11-25 10:00")
	cases := []struct {
		code, status, reason string
	}{
		{"reached", StatusDone, "handled"},
		{"appointment", StatusDone, "handled"},
		{"refused", StatusCancelled, "handled"},
		{"complaint", StatusDone, "handled"},
	}
	for i, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			id := b.addTask(t, taskOpts{phone: fmt.Sprintf("1370000000%d", i)})
			b.call(t, id, true, b.at(t, "2026-11-23 09:58"))
			res, err := RecordOutcome(ctx, b.db, OutcomeParams{
				DealerID: b.dealer, ClientID: c.code, TaskID: id, AgentUserID: b.agents[0], Code: c.code,
				AppointmentAt: &appt, ComplaintCategory: "服务态度", Notes: "等待太久", Now: b.at(t, "2026-11-23 10:00"),
			})
			require.NoError(t, err)
			require.Equal(t, c.status, res.TaskStatus)
			var reason string
			require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM call_task_reasons WHERE task_id = $1`, id).Scan(&reason))
			require.Equal(t, c.reason, reason)
		})
	}
	var complaints int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM complaints WHERE closed_on IS NULL AND category = '服务态度' AND opened_on = '2026-11-23'`).Scan(&complaints))
	require.Equal(t, 1, complaints)

	_, err := RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "x", TaskID: 1, Code: "no_such_code"})
	require.ErrorIs(t, err, ErrUnknownOutcome)
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer + 1, ClientID: "y", TaskID: 1, Code: "reached"})
	require.ErrorIs(t, err, ErrTaskNotFound)
}

func TestPolicyFromDealerRules(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "attempts_per_day", 1))
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "retry_busy_minutes", 10))
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	at := b.at(t, "2026-11-23 10:00")
	res := b.attempt(t, id, CallBusy, at)
	require.True(t, at.Add(10*time.Minute).Equal(*res.NotBefore), "the dealer's busy spacing")
	_, err := b.take(t, b.agents[0], at.Add(time.Hour))
	require.ErrorIs(t, err, ErrNoTask, "the dealer allows one attempt a day")
}

func TestOutcomeDoesNotCountTheGatewaysAttemptTwice(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	id := b.addTask(t, taskOpts{phone: "13900000001"})
	at := b.at(t, "2026-11-23 10:00")
	var attemptID int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_attempts (dealer_id, task_id, call_id, to_number, invite_at, outcome)
		VALUES ($1, $2, 'call-1', '13900000001', $3, 'no_answer') RETURNING id`, b.dealer, id, at).Scan(&attemptID))
	_, err := RecordAttempt(ctx, b.db, AttemptParams{DealerID: b.dealer, TaskID: id, CallID: "call-1", AttemptID: attemptID, Outcome: CallNoAnswer, At: at})
	require.NoError(t, err)
	// The agent also records no answer for the same call.
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "f1", TaskID: id, AgentUserID: b.agents[0], Code: "no_answer", AttemptID: attemptID, Now: at})
	require.NoError(t, err)
	// A no answer on a call whose result the gateway did not report counts.
	b.call(t, id, false, at.Add(3*time.Hour))
	_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: "f2", TaskID: id, AgentUserID: b.agents[0], Code: "no_answer", Now: at.Add(3 * time.Hour)})
	require.NoError(t, err)
	var attempts int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT attempts FROM call_tasks WHERE id = $1`, id).Scan(&attempts))
	require.Equal(t, 2, attempts)
}
