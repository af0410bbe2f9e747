package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// ErrUndoTooLate is returned by UndoOutcome when the outcome is older than the dealer's
// outcome_undo_seconds (or undo is off), was not the agent's, or is not the last outcome of
// its task.
var ErrUndoTooLate = errors.New("queue: this outcome can no longer be undone")

// ErrUndoNotFound is returned by UndoOutcome when the agent saved no outcome with that id.
var ErrUndoNotFound = errors.New("queue: no such outcome to undo")

// UndoParams names the outcome an agent undoes.
type UndoParams struct {
	// DealerID and AgentUserID: the agent who saved it.
	DealerID    int64
	AgentUserID int64
	// ClientID is the outcome form's client id (call_outcomes.client_id).
	ClientID string
	// Now is the current instant; zero means time.Now().
	Now time.Time
}

// UndoResult says what was undone.
type UndoResult struct {
	// TaskID is the task the outcome was about; it is back as it was before the outcome,
	// taken by the agent.
	TaskID int64
	// Code is the outcome code undone.
	Code string
	// AttemptID is the call the outcome was about, free for a new outcome.
	AttemptID int64
}

// snapshotSQL is what an outcome may change about its customer, read before it changes
// anything: the tasks of the customer's phone that are open (and the outcome's own), their
// reasons, the customers of the phone, the vehicles and today's readings, the booked
// appointments, the do-not-call entry, the queued SMS, the consent, and the ids above which
// complaints, appointments and prospect history rows are new.
const snapshotSQL = `
WITH cs AS (SELECT id FROM customers WHERE dealer_id = $1 AND phone = $3),
ts AS (SELECT id FROM call_tasks WHERE dealer_id = $1 AND (id = $2 OR (status = 'open' AND customer_id IN (SELECT id FROM cs))))
SELECT jsonb_build_object(
  'tasks', coalesce((SELECT jsonb_agg(to_jsonb(t)) FROM call_tasks t WHERE t.id IN (SELECT id FROM ts)), '[]'),
  'reasons', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'status', r.status)) FROM call_task_reasons r WHERE r.task_id IN (SELECT id FROM ts)), '[]'),
  'customers', coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'phone_valid', c.phone_valid, 'prospect_status', c.prospect_status,
        'status_day', c.status_day, 'lost_reason', c.lost_reason, 'intent_level', c.intent_level, 'moved_away_on', c.moved_away_on))
        FROM customers c WHERE c.id IN (SELECT id FROM cs)), '[]'),
  'vehicles', coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'active', v.active, 'inactive_on', v.inactive_on))
        FROM vehicles v WHERE v.customer_id = $4), '[]'),
  'readings', coalesce((SELECT jsonb_agg(jsonb_build_object('vehicle_id', o.vehicle_id, 'km', o.km, 'source', o.source))
        FROM odometer_readings o JOIN vehicles v ON v.id = o.vehicle_id WHERE v.customer_id = $4 AND o.day = $5), '[]'),
  'appointments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'status', a.status, 'status_at', a.status_at))
        FROM appointments a WHERE a.customer_id IN (SELECT id FROM cs) AND a.status = 'booked'), '[]'),
  'dnc', EXISTS (SELECT 1 FROM do_not_call WHERE dealer_id = $1 AND phone = $3),
  'sms', coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id, 'status', m.status, 'error', m.error))
        FROM sms_messages m WHERE m.dealer_id = $1 AND m.phone = $3 AND m.status = 'queued'), '[]'),
  'consent', (SELECT to_jsonb(x) FROM sms_consent x WHERE x.dealer_id = $1 AND x.phone = $3),
  'complaints', coalesce((SELECT jsonb_agg(to_jsonb(k)) FROM complaints k WHERE k.customer_id IN (SELECT id FROM cs)), '[]'),
  'complaint_events_above', (SELECT coalesce(max(id), 0) FROM complaint_events),
  'complaints_above', (SELECT coalesce(max(id), 0) FROM complaints),
  'appointments_above', (SELECT coalesce(max(id), 0) FROM appointments),
  'history_above', (SELECT coalesce(max(id), 0) FROM prospect_history),
  'day', $5::date)`

// snapshot reads what the outcome about task may change (snapshotSQL).
func snapshot(ctx context.Context, tx pgx.Tx, dealerID int64, task store.LockCallTaskRow, today time.Time) (json.RawMessage, error) {
	var b json.RawMessage
	if err := tx.QueryRow(ctx, snapshotSQL, dealerID, task.ID, task.Phone, task.CustomerID, today).Scan(&b); err != nil {
		return nil, fmt.Errorf("snapshot before outcome on task %d: %w", task.ID, err)
	}
	return b, nil
}

// keepSnapshot stores the snapshot for the outcome, with the ids of the complaints and
// appointments the outcome created.
func keepSnapshot(ctx context.Context, tx pgx.Tx, dealerID, outcomeID, customerID int64, snap json.RawMessage) error {
	_, err := tx.Exec(ctx, `INSERT INTO outcome_undo (outcome_id, dealer_id, before)
		SELECT $1, $2, $3::jsonb || jsonb_build_object(
		  'created_complaints', coalesce((SELECT jsonb_agg(id) FROM complaints WHERE customer_id = $4 AND id > ($3::jsonb->>'complaints_above')::bigint), '[]'),
		  'created_appointments', coalesce((SELECT jsonb_agg(id) FROM appointments WHERE customer_id = $4 AND id > ($3::jsonb->>'appointments_above')::bigint), '[]'))`,
		outcomeID, dealerID, snap, customerID)
	if err != nil {
		return fmt.Errorf("keep undo snapshot of outcome %d: %w", outcomeID, err)
	}
	return nil
}

// restoreSQL puts back what the snapshot (@before) read, in one transaction: statement by statement.
var restoreSQL = []string{
	// Complaints and appointments the outcome created go, with the complaint events it
	// wrote; bookings it rescheduled are booked again (complaints it closed or reopened are
	// put back by restoreRows).
	`DELETE FROM complaints WHERE id IN (SELECT jsonb_array_elements_text(@before::jsonb->'created_complaints')::bigint)`,
	`DELETE FROM complaint_events WHERE id > (@before::jsonb->>'complaint_events_above')::bigint
	   AND complaint_id IN (SELECT (k->>'id')::bigint FROM jsonb_array_elements(@before::jsonb->'complaints') k)`,
	`DELETE FROM appointments WHERE id IN (SELECT jsonb_array_elements_text(@before::jsonb->'created_appointments')::bigint)`,
	`UPDATE appointments a SET status = x.status, status_at = x.status_at
	 FROM jsonb_to_recordset(@before::jsonb->'appointments') AS x(id bigint, status text, status_at timestamptz)
	 WHERE a.id = x.id AND a.status IS DISTINCT FROM x.status`,
	// Do-not-call entry it made, queued SMS it suppressed, consent it changed.
	`DELETE FROM do_not_call WHERE NOT (@before::jsonb->>'dnc')::boolean AND dealer_id = @dealer AND phone = @phone`,
	`UPDATE sms_messages m SET status = x.status, error = x.error
	 FROM jsonb_to_recordset(@before::jsonb->'sms') AS x(id bigint, status text, error text)
	 WHERE m.id = x.id AND m.status = 'suppressed'`,
	`DELETE FROM sms_consent WHERE @before::jsonb->'consent' = 'null'::jsonb AND dealer_id = @dealer AND phone = @phone`,
	`UPDATE sms_consent s SET state = x.state, source = x.source, detail = x.detail, at = x.at
	 FROM jsonb_to_record(@before::jsonb->'consent') AS x(state text, source text, detail text, at timestamptz)
	 WHERE jsonb_typeof(@before::jsonb->'consent') = 'object' AND s.dealer_id = @dealer AND s.phone = @phone`,
	// Vehicles, today's readings, the customers' fields (their history rows written since go).
	`UPDATE vehicles v SET active = x.active, inactive_on = x.inactive_on
	 FROM jsonb_to_recordset(@before::jsonb->'vehicles') AS x(id bigint, active boolean, inactive_on date)
	 WHERE v.id = x.id AND (v.active, v.inactive_on) IS DISTINCT FROM (x.active, x.inactive_on)`,
	`DELETE FROM odometer_readings o USING vehicles v
	 WHERE v.id = o.vehicle_id AND v.customer_id = @customer AND o.day = (@before::jsonb->>'day')::date
	   AND o.vehicle_id NOT IN (SELECT (r->>'vehicle_id')::bigint FROM jsonb_array_elements(@before::jsonb->'readings') r)`,
	`UPDATE odometer_readings o SET km = x.km, source = x.source
	 FROM jsonb_to_recordset(@before::jsonb->'readings') AS x(vehicle_id bigint, km int, source text)
	 WHERE o.vehicle_id = x.vehicle_id AND o.day = (@before::jsonb->>'day')::date`,
	`UPDATE customers c SET phone_valid = x.phone_valid, prospect_status = x.prospect_status, status_day = x.status_day,
	        lost_reason = x.lost_reason, intent_level = x.intent_level, moved_away_on = x.moved_away_on
	 FROM jsonb_to_recordset(@before::jsonb->'customers') AS x(id bigint, phone_valid boolean, prospect_status text, status_day date,
	        lost_reason text, intent_level text, moved_away_on date)
	 WHERE c.id = x.id AND (c.phone_valid, c.prospect_status, c.status_day, c.lost_reason, c.intent_level, c.moved_away_on)
	       IS DISTINCT FROM (x.phone_valid, x.prospect_status, x.status_day, x.lost_reason, x.intent_level, x.moved_away_on)`,
	`DELETE FROM prospect_history WHERE id > (@before::jsonb->>'history_above')::bigint
	   AND customer_id IN (SELECT (c->>'id')::bigint FROM jsonb_array_elements(@before::jsonb->'customers') c)`,
	// The tasks as they were (the outcome's own taken by the agent again), their reasons' states.
	`UPDATE call_tasks t SET status = x.status, priority = x.priority, due_day = x.due_day, expires_day = x.expires_day,
	        campaigns = x.campaigns, assigned_user_id = x.assigned_user_id, consultant = x.consultant, not_before = x.not_before,
	        attempts = x.attempts, attempts_today = x.attempts_today, last_attempt_day = x.last_attempt_day,
	        taken_by = x.taken_by, taken_at = x.taken_at, flagged = x.flagged, outcome = x.outcome, closed_at = x.closed_at,
	        updated_at = now()
	 FROM jsonb_populate_recordset(NULL::call_tasks, @before::jsonb->'tasks') AS x
	 WHERE t.id = x.id`,
	`UPDATE call_task_reasons r SET status = x.status
	 FROM jsonb_to_recordset(@before::jsonb->'reasons') AS x(id bigint, status text)
	 WHERE r.id = x.id AND r.status IS DISTINCT FROM x.status`,
}

// UndoOutcome undoes the agent's last saved outcome within the dealer's
// outcome_undo_seconds: the outcome row goes and everything it set in motion is put back as
// it was (the task and the other tasks of the phone with their reasons, the appointment it
// booked and those it rescheduled, the complaint it opened, the do-not-call entry and the
// SMS it suppressed, the SMS opt-out, the phone marked invalid, the mileage, the vehicle
// and the prospect's fields it wrote back), in one transaction. The task is taken by the
// agent again and the call is free for a new outcome. The audit log keeps the outcome and
// the undo (call.outcome_undone). Webhooks already sent are not recalled.
func UndoOutcome(ctx context.Context, db *pgxpool.Pool, p UndoParams) (*UndoResult, error) {
	var res *UndoResult
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		res, err = UndoOutcomeTx(ctx, tx, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// UndoOutcomeTx is UndoOutcome inside the caller's transaction.
func UndoOutcomeTx(ctx context.Context, tx pgx.Tx, p UndoParams) (*UndoResult, error) {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	rules, err := LoadRules(ctx, tx, p.DealerID)
	if err != nil {
		return nil, err
	}
	var (
		outcomeID, taskID, customerID int64
		attemptID                     *int64
		agent                         *int64
		code, phone                   string
		createdAt                     time.Time
		row, before                   json.RawMessage
	)
	err = tx.QueryRow(ctx, `SELECT o.id, o.task_id, o.attempt_id, o.agent_user_id, o.code, o.created_at, to_jsonb(o), u.before, t.customer_id, c.phone
		FROM call_outcomes o
		JOIN call_tasks t ON t.id = o.task_id
		JOIN customers c ON c.id = t.customer_id
		LEFT JOIN outcome_undo u ON u.outcome_id = o.id
		WHERE o.dealer_id = $1 AND o.client_id = $2
		FOR UPDATE OF o, t`, p.DealerID, p.ClientID).
		Scan(&outcomeID, &taskID, &attemptID, &agent, &code, &createdAt, &row, &before, &customerID, &phone)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("undo outcome %s: %w", p.ClientID, ErrUndoNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("undo outcome %s: %w", p.ClientID, err)
	}
	limit := time.Duration(rules.Get("outcome_undo_seconds")) * time.Second
	switch {
	case agent == nil || *agent != p.AgentUserID:
		return nil, fmt.Errorf("undo outcome %s: not the agent's: %w", p.ClientID, ErrUndoNotFound)
	case before == nil || limit == 0 || now.Sub(createdAt) > limit:
		return nil, fmt.Errorf("undo outcome %s: saved at %s: %w", p.ClientID, createdAt.Format(time.RFC3339), ErrUndoTooLate)
	}
	var later bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id
		WHERE t.customer_id = $1 AND o.id > $2)`, customerID, outcomeID).Scan(&later); err != nil {
		return nil, fmt.Errorf("undo outcome %s: %w", p.ClientID, err)
	}
	if later {
		return nil, fmt.Errorf("undo outcome %s: a later outcome was saved for the customer: %w", p.ClientID, ErrUndoTooLate)
	}
	// The outcome goes first: its appointment refers to it, and it frees the call.
	if _, err := tx.Exec(ctx, `DELETE FROM call_outcomes WHERE id = $1`, outcomeID); err != nil {
		return nil, fmt.Errorf("undo outcome %s: %w", p.ClientID, err)
	}
	for i, stmt := range restoreSQL {
		args := pgx.NamedArgs{"before": before, "dealer": p.DealerID, "phone": phone, "customer": customerID}
		if _, err := tx.Exec(ctx, stmt, args); err != nil {
			return nil, fmt.Errorf("undo outcome %s: restore step %d: %w", p.ClientID, i+1, err)
		}
	}
	if err := restoreRows(ctx, tx, "complaints", before, "complaints"); err != nil {
		return nil, fmt.Errorf("undo outcome %s: %w", p.ClientID, err)
	}
	q := store.New(tx)
	if err := audit(ctx, q, p.DealerID, p.AgentUserID, "call.outcome_undone", taskID, map[string]any{
		"client_id": p.ClientID, "code": code, "outcome": row, "restored": before,
	}); err != nil {
		return nil, err
	}
	if err := auditCustomer(ctx, q, p.DealerID, p.AgentUserID, customerID, map[string]any{
		"field": "undo", "code": code, "task_id": taskID, "outcome_id": outcomeID, "source": "undo",
	}); err != nil {
		return nil, err
	}
	res := &UndoResult{TaskID: taskID, Code: code}
	if attemptID != nil {
		res.AttemptID = *attemptID
	}
	return res, nil
}

// restoreRows puts every column of the rows of table kept in the snapshot's key back as
// they were (the rows still there; the columns as the table has them now, so columns other
// features add are restored too).
func restoreRows(ctx context.Context, tx pgx.Tx, table string, before json.RawMessage, key string) error {
	var set string
	if err := tx.QueryRow(ctx, `SELECT string_agg(format('%I = x.%I', column_name, column_name), ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name <> 'id'`, table).Scan(&set); err != nil {
		return fmt.Errorf("restore %s: %w", table, err)
	}
	stmt := fmt.Sprintf(`UPDATE %[1]s t SET %[2]s FROM jsonb_populate_recordset(NULL::%[1]s, $1::jsonb->$2) AS x WHERE t.id = x.id`,
		pgx.Identifier{table}.Sanitize(), set)
	if _, err := tx.Exec(ctx, stmt, before, key); err != nil {
		return fmt.Errorf("restore %s: %w", table, err)
	}
	return nil
}
