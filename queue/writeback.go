package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// The results a call may give a prospect (WriteBack.ProspectResult): the key prospect's
// weekly result and the lost-prospect check's finding.
const (
	// ProspectDeal: 成交, the prospect bought.
	ProspectDeal = "deal"
	// ProspectLost: 战败, with its reason (LostReasons); starts the lost-prospect check.
	ProspectLost = "lost"
	// ProspectPostponed: 延期, the prospect stays a prospect (open) at intent A.
	ProspectPostponed = "postponed"
	// ProspectNotBought: the lost-prospect check found the customer has not bought yet:
	// reopened (open, intent from the call), followed up the next day.
	ProspectNotBought = "not_bought"
)

// LostReasons are the fixed reasons a prospect is lost for (docs/domain.md, customer classes).
func LostReasons() []string {
	return []string{"价格太高", "品牌不认可", "车型不喜欢", "资金没到位", "没有现车", "跟进太慢", "要求不合理", "其他"}
}

// ErrBadWriteBack is returned, wrapped with the field it is about, for answers that cannot
// be written back (a mileage below an earlier reading, a lost result without its reason, a
// vehicle that is not the customer's...). Nothing is stored.
var ErrBadWriteBack = errors.New("queue: the call's answers cannot be written back")

// WriteBackError names the field of the outcome form that cannot be written back.
type WriteBackError struct {
	// Field is the form field: mileage, vehicle_id, intent_level, prospect_result, lost_reason.
	Field string
	// Msg says what is wrong, in Chinese, for the agent.
	Msg string
}

func (e *WriteBackError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrBadWriteBack) true.
func (e *WriteBackError) Unwrap() error { return ErrBadWriteBack }

// WriteBack is what a call's answers change besides its task (docs/domain.md, "What a
// call's answers change"). Empty fields change nothing. Fields left empty are taken from
// the script's answers with the same question ids (mileage, intent_level, week_result,
// bought, lost_reason), see WriteBackFromAnswers.
type WriteBack struct {
	// VehicleID is the vehicle a stated mileage or "no longer owns the car" is about;
	// zero means the customer's only active vehicle.
	VehicleID int64 `json:"vehicle_id,omitempty"`
	// Mileage is the odometer reading the customer stated, in km; zero means none.
	Mileage int `json:"mileage,omitempty"`
	// IntentLevel is the purchase intent level the call recorded (H, A, B, C).
	IntentLevel string `json:"intent_level,omitempty"`
	// ProspectResult is ProspectDeal, ProspectLost, ProspectPostponed or ProspectNotBought.
	ProspectResult string `json:"prospect_result,omitempty"`
	// LostReason is one of LostReasons, required with ProspectLost.
	LostReason string `json:"lost_reason,omitempty"`
}

// WriteBackFromAnswers reads a WriteBack from the script's answers ({"id": {"label":..,
// "score":..}} or {"id": {"text": ..}}): mileage (a number in the text), intent_level (the
// first letter of the label), week_result (成交, 战败, 延期), bought (还没买 is not bought
// yet), lost_reason (the label). Unknown or empty answers give nothing.
func WriteBackFromAnswers(answers json.RawMessage) WriteBack {
	var m map[string]struct {
		Label string `json:"label"`
		Text  string `json:"text"`
	}
	var wb WriteBack
	if len(answers) == 0 || json.Unmarshal(answers, &m) != nil {
		return wb
	}
	if a, ok := m["mileage"]; ok {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			if r >= '０' && r <= '９' {
				return '0' + (r - '０')
			}
			return -1
		}, a.Text+a.Label)
		if n, err := strconv.Atoi(digits); err == nil && n > 0 {
			wb.Mileage = n
		}
	}
	if a, ok := m["intent_level"]; ok {
		wb.IntentLevel = intentLevel(a.Label + a.Text)
	}
	if a, ok := m["week_result"]; ok {
		switch l := a.Label; {
		case strings.Contains(l, "成交"):
			wb.ProspectResult = ProspectDeal
		case strings.Contains(l, "战败"):
			wb.ProspectResult = ProspectLost
		case strings.Contains(l, "延期"):
			wb.ProspectResult = ProspectPostponed
		}
	}
	if a, ok := m["bought"]; ok && (strings.Contains(a.Label, "还没") || strings.Contains(a.Label, "未买") || strings.Contains(a.Label, "没买")) {
		wb.ProspectResult = ProspectNotBought
	}
	if a, ok := m["lost_reason"]; ok {
		wb.LostReason = strings.TrimSpace(a.Label + a.Text)
	}
	return wb
}

// intentLevel is the level letter of s (H, A, B, C), or "" for anything else.
func intentLevel(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	switch s[:1] {
	case "H", "A", "B", "C":
		return s[:1]
	}
	return ""
}

// merge fills the empty fields of wb from o.
func (wb WriteBack) merge(o WriteBack) WriteBack {
	if wb.VehicleID == 0 {
		wb.VehicleID = o.VehicleID
	}
	if wb.Mileage == 0 {
		wb.Mileage = o.Mileage
	}
	if wb.IntentLevel == "" {
		wb.IntentLevel = o.IntentLevel
	}
	if wb.ProspectResult == "" {
		wb.ProspectResult = o.ProspectResult
	}
	if wb.LostReason == "" {
		wb.LostReason = o.LostReason
	}
	return wb
}

// writeBack applies what the call's answers change, each change audited on the customer
// (audit_log action customer.writeback, subject the customer): the stated mileage, a
// vehicle no longer owned (code not_owner), moved away (code moved_away), the prospect's
// status and intent level. The prospect's changes are dated today in prospect_history.
func (e effector) writeBack(ctx context.Context, tx pgx.Tx, task store.LockCallTaskRow, code string, wb WriteBack, outcomeID int64, agent int64) error {
	today, err := e.today(ctx)
	if err != nil {
		return err
	}
	day := today.Format(time.DateOnly)
	note := func(field string, from, to any, extra map[string]any) error {
		d := map[string]any{"field": field, "from": from, "to": to, "day": day, "outcome_id": outcomeID, "task_id": task.ID, "source": "call"}
		for k, v := range extra {
			d[k] = v
		}
		return auditCustomer(ctx, e.q, e.dealerID, agent, task.CustomerID, d)
	}
	needVehicle := wb.Mileage > 0 || code == "not_owner"
	var vehicleID int64
	var plate string
	if needVehicle {
		vehicleID, plate, err = e.vehicleOf(ctx, tx, task.CustomerID, wb.VehicleID)
		if err != nil {
			return err
		}
	}
	if wb.Mileage > 0 {
		if wb.Mileage > 2_000_000 {
			return &WriteBackError{Field: "mileage", Msg: fmt.Sprintf("里程 %d 公里不合理", wb.Mileage)}
		}
		var prevKm *int32
		var prevDay *time.Time
		err := tx.QueryRow(ctx, `SELECT km, day FROM (
				SELECT km, day FROM odometer_readings WHERE vehicle_id = $1 AND day < $2
				UNION ALL SELECT mileage, day FROM workshop_visits WHERE vehicle_id = $1 AND day < $2 AND mileage IS NOT NULL
			) x ORDER BY day DESC, km DESC LIMIT 1`, vehicleID, today).Scan(&prevKm, &prevDay)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("write back mileage: %w", err)
		}
		if prevKm != nil && int(*prevKm) > wb.Mileage {
			return &WriteBackError{Field: "mileage", Msg: fmt.Sprintf("里程 %d 公里小于 %s 的读数 %d 公里", wb.Mileage, prevDay.Format(time.DateOnly), *prevKm)}
		}
		var before *int32
		if err := tx.QueryRow(ctx, `SELECT km FROM odometer_readings WHERE vehicle_id = $1 AND day = $2`, vehicleID, today).Scan(&before); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("write back mileage: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO odometer_readings (vehicle_id, day, km, source) VALUES ($1, $2, $3, 'call')
			ON CONFLICT (vehicle_id, day) DO UPDATE SET km = EXCLUDED.km, source = EXCLUDED.source`, vehicleID, today, wb.Mileage); err != nil {
			return fmt.Errorf("write back mileage: %w", err)
		}
		if err := note("mileage", before, wb.Mileage, map[string]any{"vehicle_id": vehicleID, "plate": plate}); err != nil {
			return err
		}
	}
	if code == "not_owner" {
		if _, err := tx.Exec(ctx, `UPDATE vehicles SET active = false, inactive_on = $2, updated_at = now() WHERE id = $1 AND active`, vehicleID, today); err != nil {
			return fmt.Errorf("write back not owner: %w", err)
		}
		if err := note("vehicle_active", true, false, map[string]any{"vehicle_id": vehicleID, "plate": plate}); err != nil {
			return err
		}
	}
	if code == "moved_away" {
		tag, err := tx.Exec(ctx, `UPDATE customers SET moved_away_on = $2, updated_at = now() WHERE id = $1 AND moved_away_on IS NULL`, task.CustomerID, today)
		if err != nil {
			return fmt.Errorf("write back moved away: %w", err)
		}
		if tag.RowsAffected() > 0 {
			if err := note("moved_away_on", nil, day, nil); err != nil {
				return err
			}
		}
	}
	return e.writeBackProspect(ctx, tx, task, wb, today, note)
}

// writeBackProspect changes the prospect's status and intent level from the call.
func (e effector) writeBackProspect(ctx context.Context, tx pgx.Tx, task store.LockCallTaskRow, wb WriteBack, today time.Time,
	note func(field string, from, to any, extra map[string]any) error) error {
	if wb.IntentLevel == "" && wb.ProspectResult == "" {
		return nil
	}
	if wb.IntentLevel != "" && intentLevel(wb.IntentLevel) == "" {
		return &WriteBackError{Field: "intent_level", Msg: fmt.Sprintf("意向级别 %q 不是 H、A、B、C 之一", wb.IntentLevel)}
	}
	wb.IntentLevel = intentLevel(wb.IntentLevel)
	var status, intent, reason string
	if err := tx.QueryRow(ctx, `SELECT prospect_status, intent_level, lost_reason FROM customers WHERE id = $1 FOR UPDATE`, task.CustomerID).
		Scan(&status, &intent, &reason); err != nil {
		return fmt.Errorf("write back prospect: %w", err)
	}
	newStatus, newIntent, newReason, source := status, intent, reason, "call"
	if wb.IntentLevel != "" && status != "" && status != "won" {
		newIntent = wb.IntentLevel
	}
	switch wb.ProspectResult {
	case "":
		// A same-day or follow-up call's intent level: H makes an open prospect key.
		if newIntent == "H" && (status == "open" || status == "pre_lost") && wb.IntentLevel == "H" {
			newStatus = "key"
		}
	case ProspectDeal:
		newStatus = "won"
	case ProspectLost:
		if wb.LostReason == "" {
			return &WriteBackError{Field: "lost_reason", Msg: "战败需要选择战败原因"}
		}
		ok := false
		for _, r := range LostReasons() {
			ok = ok || r == wb.LostReason
		}
		if !ok {
			return &WriteBackError{Field: "lost_reason", Msg: fmt.Sprintf("战败原因 %q 不在固定列表中（%s）", wb.LostReason, strings.Join(LostReasons(), "、"))}
		}
		newStatus, newReason = "lost", wb.LostReason
	case ProspectPostponed:
		newStatus, newIntent = "open", "A"
	case ProspectNotBought:
		if status != "lost" && status != "pre_lost" {
			return &WriteBackError{Field: "prospect_result", Msg: "只有战败或准战败客户才能重新跟进"}
		}
		newStatus, newReason, source = "open", "", "reopen"
		if wb.IntentLevel == "" {
			newIntent = intent
		}
	default:
		return &WriteBackError{Field: "prospect_result", Msg: fmt.Sprintf("未知的客户结果 %q", wb.ProspectResult)}
	}
	if newStatus == status && newIntent == intent && newReason == reason {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('huifang.fact_day', $1, true), set_config('huifang.fact_source', $2, true)`,
		today.Format(time.DateOnly), source); err != nil {
		return fmt.Errorf("write back prospect: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE customers SET prospect_status = $2, intent_level = $3, lost_reason = $4,
		status_day = CASE WHEN prospect_status <> $2 THEN $5::date ELSE status_day END, updated_at = now() WHERE id = $1`,
		task.CustomerID, newStatus, newIntent, newReason, today); err != nil {
		return fmt.Errorf("write back prospect: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('huifang.fact_day', '', true), set_config('huifang.fact_source', '', true)`); err != nil {
		return fmt.Errorf("write back prospect: %w", err)
	}
	if newStatus != status {
		if err := note("prospect_status", status, newStatus, map[string]any{"result": wb.ProspectResult, "lost_reason": newReason}); err != nil {
			return err
		}
	}
	if newIntent != intent {
		if err := note("intent_level", intent, newIntent, nil); err != nil {
			return err
		}
	}
	return nil
}

// vehicleOf returns the customer's vehicle id (the given one, which must be theirs, or
// their only active one) and its plate.
func (e effector) vehicleOf(ctx context.Context, tx pgx.Tx, customerID, vehicleID int64) (int64, string, error) {
	if vehicleID != 0 {
		var plate string
		err := tx.QueryRow(ctx, `SELECT plate FROM vehicles WHERE id = $1 AND customer_id = $2`, vehicleID, customerID).Scan(&plate)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, "", &WriteBackError{Field: "vehicle_id", Msg: "车辆不是该客户的"}
		}
		if err != nil {
			return 0, "", fmt.Errorf("write back vehicle %d: %w", vehicleID, err)
		}
		return vehicleID, plate, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, plate FROM vehicles WHERE customer_id = $1 AND active ORDER BY id`, customerID)
	if err != nil {
		return 0, "", fmt.Errorf("write back vehicle: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var plate string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &plate); err != nil {
			return 0, "", fmt.Errorf("write back vehicle: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return 0, "", fmt.Errorf("write back vehicle: %w", err)
	}
	switch len(ids) {
	case 0:
		return 0, "", &WriteBackError{Field: "vehicle_id", Msg: "客户没有在用的车辆"}
	case 1:
		return ids[0], plate, nil
	}
	return 0, "", &WriteBackError{Field: "vehicle_id", Msg: "客户有多辆车，请选择是哪一辆"}
}

// auditCustomer writes one audit_log row about a customer (subject_type customer).
func auditCustomer(ctx context.Context, q *store.Queries, dealerID, userID, customerID int64, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit customer.writeback: %w", err)
	}
	var user *int64
	if userID != 0 {
		user = &userID
	}
	if err := q.InsertAudit(ctx, store.InsertAuditParams{
		DealerID: &dealerID, UserID: user, Action: "customer.writeback", SubjectType: "customer", SubjectID: &customerID, Detail: b,
	}); err != nil {
		return fmt.Errorf("audit customer.writeback: %w", err)
	}
	return nil
}
