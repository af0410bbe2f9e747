package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// Complaint states (complaints.status), in the order of their life (docs/domain.md,
// "Complaints"): open until the owner's first response, responded until resolved
// (a resolution note is required), resolved until the satisfaction call, closed when the
// customer says they are satisfied (4 or 5); a dissatisfied customer reopens it.
const (
	ComplaintOpen      = "open"
	ComplaintResponded = "responded"
	ComplaintResolved  = "resolved"
	ComplaintClosed    = "closed"
)

// Complaint severities (complaints.severity).
const (
	SeverityNormal  = "normal"
	SeveritySerious = "serious"
)

// Where a complaint came from (complaints.source).
const (
	ComplaintFromCall     = "call"
	ComplaintFromDirector = "director"
	ComplaintFromAPI      = "api"
	ComplaintFromImport   = "import"
)

// ComplaintCategories are the complaint categories, one set for the agent's form, the
// director's form, the customer card and the complaints page; the words are in
// agent-ui's i18n (cat.<code>).
func ComplaintCategories() []string {
	return []string{"service_quality", "repair_quality", "price", "waiting_time", "parts", "attitude", "sales", "other"}
}

// ErrComplaintNotFound is returned when the complaint is not one of the dealer's.
var ErrComplaintNotFound = errors.New("queue: no such complaint for this dealer")

// ComplaintError is a complaint change refused because of the complaint's state or the
// input: Field names the input at fault (empty: the state), Zh says it in Chinese.
type ComplaintError struct {
	Field string
	Msg   string
	Zh    string
}

func (e *ComplaintError) Error() string { return e.Msg }

// OpenComplaintParams is a complaint to open.
type OpenComplaintParams struct {
	DealerID   int64
	CustomerID int64
	// Category is one of ComplaintCategories (free text from imports is kept as is).
	Category string
	// Description is what the customer said.
	Description string
	// Serious opens it serious (safety, legal threat, media); a second complaint of the
	// customer within complaint_repeat_days is serious anyway.
	Serious bool
	// Source is ComplaintFromCall, ComplaintFromDirector or ComplaintFromAPI.
	Source string
	// UserID is who opened it (the agent, the director); zero for the API.
	UserID int64
	// OutcomeID and AttemptID name the call it came from (zero: none).
	OutcomeID int64
	AttemptID int64
	// Now is the moment it opens; the deadlines run from it.
	Now time.Time
}

// OpenComplaint opens a complaint in one transaction; see OpenComplaintTx.
func OpenComplaint(ctx context.Context, db store.TxBeginner, p OpenComplaintParams) (int64, error) {
	var id int64
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		id, err = OpenComplaintTx(ctx, tx, p)
		return err
	})
	return id, err
}

// OpenComplaintTx opens a complaint in the caller's transaction: its owner (the
// complaint_owner setting, else the dealer's first director), its severity and its
// deadlines are set at once, and its first timeline event written. The same customer,
// day, category and description opened twice is one complaint (its id is returned).
func OpenComplaintTx(ctx context.Context, tx pgx.Tx, p OpenComplaintParams) (int64, error) {
	if p.Now.IsZero() {
		return 0, errors.New("open complaint: now is zero")
	}
	p.Category = strings.TrimSpace(p.Category)
	if p.Category == "" && p.Source != ComplaintFromDirector {
		p.Category = "other"
	}
	if p.Category == "" {
		return 0, &ComplaintError{Field: "category", Msg: "a complaint needs its category", Zh: "请选择抱怨类别"}
	}
	if strings.TrimSpace(p.Description) == "" && p.Source == ComplaintFromDirector {
		return 0, &ComplaintError{Field: "description", Msg: "a complaint needs what the customer said", Zh: "请填写客户反映的问题"}
	}
	switch p.Source {
	case ComplaintFromCall, ComplaintFromDirector, ComplaintFromAPI:
	default:
		return 0, fmt.Errorf("open complaint: unknown source %q", p.Source)
	}
	sev := SeverityNormal
	if p.Serious {
		sev = SeveritySerious
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO complaints (dealer_id, customer_id, vehicle_id, opened_on, opened_at, category, description,
		                        severity, source, opened_by, outcome_id, attempt_id)
		SELECT c.dealer_id, c.id,
		       (SELECT v.id FROM vehicles v WHERE v.customer_id = c.id ORDER BY v.active DESC, v.id DESC LIMIT 1),
		       ($3::timestamptz AT TIME ZONE d.time_zone)::date, $3, $4, $5, $6, $7, $8, $9, $10
		FROM customers c JOIN dealers d ON d.id = c.dealer_id
		WHERE c.id = $2 AND c.dealer_id = $1
		ON CONFLICT (customer_id, opened_on, category, description) DO UPDATE SET category = EXCLUDED.category
		RETURNING id`,
		p.DealerID, p.CustomerID, p.Now, p.Category, p.Description, sev, p.Source,
		nullID(p.UserID), nullID(p.OutcomeID), nullID(p.AttemptID)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &ComplaintError{Field: "customer_id", Msg: fmt.Sprintf("no customer %d at this dealer", p.CustomerID), Zh: "找不到这位客户"}
	}
	if err != nil {
		return 0, fmt.Errorf("open complaint for customer %d: %w", p.CustomerID, err)
	}
	if _, err := fillComplaints(ctx, tx, p.DealerID, p.Now); err != nil {
		return 0, err
	}
	return id, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// fillComplaints gives the dealer's complaints that have no deadlines yet (just opened,
// or written by an import or the API) their severity, owner, deadlines and "opened"
// event, with the dealer's settings; it returns how many it filled.
func fillComplaints(ctx context.Context, tx pgx.Tx, dealerID int64, now time.Time) (int, error) {
	r, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `
		WITH s AS (
		    SELECT k.id, (k.severity = 'serious' OR EXISTS (
		               SELECT 1 FROM complaints o WHERE o.customer_id = k.customer_id AND o.id <> k.id
		                 AND o.opened_on <= k.opened_on AND o.opened_on >= k.opened_on - $2::int
		                 AND (o.opened_on < k.opened_on OR o.id < k.id))) AS serious
		    FROM complaints k WHERE k.dealer_id = $1 AND k.respond_due IS NULL
		    FOR UPDATE OF k
		)
		UPDATE complaints k SET
		    severity = CASE WHEN s.serious THEN 'serious' ELSE 'normal' END,
		    owner_user_id = COALESCE(k.owner_user_id, (
		        SELECT u.id FROM users u WHERE u.dealer_id = k.dealer_id AND u.active AND u.role IN ('director', 'admin')
		        ORDER BY (u.id = $3) DESC, (u.role = 'director') DESC, u.id LIMIT 1)),
		    respond_due = k.opened_at + make_interval(hours => CASE WHEN s.serious THEN $6::int ELSE $4::int END),
		    resolve_due = k.opened_at + make_interval(hours => CASE WHEN s.serious THEN $7::int ELSE $5::int END)
		FROM s WHERE k.id = s.id
		RETURNING k.id, k.opened_by, k.source, k.severity, k.owner_user_id`,
		dealerID, r.Get("complaint_repeat_days"), int64(r.Get("complaint_owner")),
		r.Get("complaint_respond_hours"), r.Get("complaint_resolve_hours"),
		r.Get("complaint_serious_respond_hours"), r.Get("complaint_serious_resolve_hours"))
	if err != nil {
		return 0, fmt.Errorf("fill complaints of dealer %d: %w", dealerID, err)
	}
	type filled struct {
		id       int64
		by       *int64
		source   string
		severity string
		owner    *int64
	}
	var fs []filled
	for rows.Next() {
		var f filled
		if err := rows.Scan(&f.id, &f.by, &f.source, &f.severity, &f.owner); err != nil {
			rows.Close()
			return 0, fmt.Errorf("fill complaints of dealer %d: %w", dealerID, err)
		}
		fs = append(fs, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("fill complaints of dealer %d: %w", dealerID, err)
	}
	for _, f := range fs {
		var at time.Time
		if err := tx.QueryRow(ctx, `SELECT CASE WHEN source = 'import' THEN LEAST(opened_at, $2) ELSE $2 END
			FROM complaints WHERE id = $1`, f.id, now).Scan(&at); err != nil {
			return 0, fmt.Errorf("complaint %d: %w", f.id, err)
		}
		if err := complaintEvent(ctx, tx, dealerID, f.id, at, f.by, "opened", "",
			map[string]any{"source": f.source, "severity": f.severity, "owner": f.owner}); err != nil {
			return 0, err
		}
	}
	return len(fs), nil
}

// complaintEvent writes one timeline event of a complaint.
func complaintEvent(ctx context.Context, tx pgx.Tx, dealerID, complaintID int64, at time.Time, userID *int64, kind, note string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("complaint %d event %s: %w", complaintID, kind, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO complaint_events (complaint_id, dealer_id, at, user_id, kind, note, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, complaintID, dealerID, at, userID, kind, note, b); err != nil {
		return fmt.Errorf("complaint %d event %s: %w", complaintID, kind, err)
	}
	return nil
}

// ComplaintAction is a director's change to a complaint.
type ComplaintAction struct {
	DealerID    int64
	ComplaintID int64
	// UserID is the director (or admin) making the change; zero when the dealer's own
	// system makes it through the API (APIKeyID).
	UserID int64
	// APIKeyID is the API key making the change, when the API does; the audit row names it.
	APIKeyID int64
	// Kind is one of "assign", "respond", "resolve", "serious", "reopen", "note".
	Kind string
	// Owner is the new owner, for assign: a director or admin of the dealer.
	Owner int64
	// Note is what was agreed (respond), how it was resolved (resolve), why (reopen), or
	// the note; required for respond, resolve, reopen and note.
	Note string
	// Now is the moment of the change.
	Now time.Time
}

// ChangeComplaint applies a director's change in one transaction, with its timeline
// event and an audit_log row; see ChangeComplaintTx.
func ChangeComplaint(ctx context.Context, db store.TxBeginner, a ComplaintAction) error {
	return store.WithTx(ctx, db, func(tx pgx.Tx) error { return ChangeComplaintTx(ctx, tx, a) })
}

// ChangeComplaintTx applies a director's change in the caller's transaction:
//
//   - assign: hand it to another director or admin of the dealer.
//   - respond: the owner called the customer and recorded what was agreed (open only).
//   - resolve: it is resolved (open or responded); the resolution note is required. The
//     day it is resolved is closed_on, which starts the satisfaction call (complaint rule).
//   - serious: make it serious; its deadlines become the serious ones, from its opening.
//   - reopen: a resolved or closed complaint opens again, serious, with new deadlines.
//   - note: a note on the timeline.
func ChangeComplaintTx(ctx context.Context, tx pgx.Tx, a ComplaintAction) error {
	if a.Now.IsZero() {
		return errors.New("change complaint: now is zero")
	}
	var status, severity string
	err := tx.QueryRow(ctx, `SELECT status, severity FROM complaints WHERE id = $1 AND dealer_id = $2 FOR UPDATE`,
		a.ComplaintID, a.DealerID).Scan(&status, &severity)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("complaint %d: %w", a.ComplaintID, ErrComplaintNotFound)
	}
	if err != nil {
		return fmt.Errorf("complaint %d: %w", a.ComplaintID, err)
	}
	// Fill its deadlines first when an import wrote it moments ago.
	if _, err := fillComplaints(ctx, tx, a.DealerID, a.Now); err != nil {
		return err
	}
	note := strings.TrimSpace(a.Note)
	if len([]rune(note)) > 2000 {
		return &ComplaintError{Field: "note", Msg: "the note is longer than 2000 characters", Zh: "说明最多 2000 字"}
	}
	needNote := func(zh string) error {
		if note == "" {
			return &ComplaintError{Field: "note", Msg: "a note is required", Zh: zh}
		}
		return nil
	}
	wrongState := func() error {
		return &ComplaintError{Msg: fmt.Sprintf("a complaint in state %s cannot be changed that way", status),
			Zh: "这条抱怨当前的状态不能做这个操作，请刷新页面后再看"}
	}
	user := nullID(a.UserID)
	detail := a.auditDetail(map[string]any{}) // the timeline names the API key too
	var q string
	var args []any
	switch a.Kind {
	case "assign":
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND dealer_id = $2 AND active
			AND role IN ('director', 'admin'))`, a.Owner, a.DealerID).Scan(&ok); err != nil {
			return fmt.Errorf("complaint %d owner: %w", a.ComplaintID, err)
		}
		if !ok {
			return &ComplaintError{Field: "owner", Msg: "the owner must be a director or admin of the dealer", Zh: "负责人只能是本店的总监或管理员"}
		}
		q, args = `UPDATE complaints SET owner_user_id = $2 WHERE id = $1`, []any{a.ComplaintID, a.Owner}
		detail["owner"] = a.Owner
	case "respond":
		if status != ComplaintOpen {
			return wrongState()
		}
		if err := needNote("请填写首次回复时和客户约定的内容"); err != nil {
			return err
		}
		q, args = `UPDATE complaints SET status = 'responded', responded_at = $2, response_note = $3 WHERE id = $1`,
			[]any{a.ComplaintID, a.Now, note}
	case "resolve":
		if status != ComplaintOpen && status != ComplaintResponded {
			return wrongState()
		}
		if err := needNote("请填写处理结果（解决说明必填）"); err != nil {
			return err
		}
		q = `UPDATE complaints k SET status = 'resolved', resolved_at = $2::timestamptz, resolution_note = $3,
		        responded_at = COALESCE(k.responded_at, $2::timestamptz),
		        closed_on = ($2::timestamptz AT TIME ZONE d.time_zone)::date
		     FROM dealers d WHERE d.id = k.dealer_id AND k.id = $1`
		args = []any{a.ComplaintID, a.Now, note}
	case "serious":
		if severity == SeveritySerious {
			return nil
		}
		if status == ComplaintClosed {
			return wrongState()
		}
		r, err := LoadRules(ctx, tx, a.DealerID)
		if err != nil {
			return err
		}
		q = `UPDATE complaints SET severity = 'serious',
		        respond_due = opened_at + make_interval(hours => $2::int),
		        resolve_due = opened_at + make_interval(hours => $3::int),
		        told_respond_overdue_at = NULL, told_resolve_overdue_at = NULL
		     WHERE id = $1`
		args = []any{a.ComplaintID, r.Get("complaint_serious_respond_hours"), r.Get("complaint_serious_resolve_hours")}
	case "reopen":
		if status != ComplaintResolved && status != ComplaintClosed {
			return wrongState()
		}
		if err := needNote("请填写重新开启的原因"); err != nil {
			return err
		}
		return reopenComplaint(ctx, tx, a.DealerID, a.ComplaintID, a.Now, user, note, detail, a.auditDetail(map[string]any{"note": note}))
	case "note":
		if err := needNote("请填写备注"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("change complaint: unknown action %q", a.Kind)
	}
	if q != "" {
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("complaint %d %s: %w", a.ComplaintID, a.Kind, err)
		}
	}
	kind := map[string]string{"assign": "assigned", "respond": "responded", "resolve": "resolved", "serious": "serious", "note": "note"}[a.Kind]
	if err := complaintEvent(ctx, tx, a.DealerID, a.ComplaintID, a.Now, user, kind, note, detail); err != nil {
		return err
	}
	return auditComplaint(ctx, tx, a.DealerID, a.UserID, "complaint."+a.Kind, a.ComplaintID, a.auditDetail(map[string]any{"note": note, "owner": a.Owner}))
}

// auditDetail adds the API key that made the change, when one did, to an audit row's detail.
func (a ComplaintAction) auditDetail(d map[string]any) map[string]any {
	if a.APIKeyID != 0 {
		d["api_key"] = a.APIKeyID
	}
	return d
}

// reopenComplaint opens a resolved or closed complaint again: serious, deadlines from now
// (the serious ones), the directors told again.
// audit is the audit row's detail.
func reopenComplaint(ctx context.Context, tx pgx.Tx, dealerID, id int64, now time.Time, user *int64, note string, detail, audit map[string]any) error {
	r, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE complaints SET status = 'open', severity = 'serious', closed_on = NULL, closed_at = NULL,
		    opened_at = $2::timestamptz, respond_due = $2::timestamptz + make_interval(hours => $3::int),
		    resolve_due = $2::timestamptz + make_interval(hours => $4::int),
		    responded_at = NULL, resolved_at = NULL, reopened = reopened + 1,
		    told_open_at = NULL, told_respond_overdue_at = NULL, told_resolve_overdue_at = NULL
		WHERE id = $1`, id, now, r.Get("complaint_serious_respond_hours"), r.Get("complaint_serious_resolve_hours")); err != nil {
		return fmt.Errorf("reopen complaint %d: %w", id, err)
	}
	if err := complaintEvent(ctx, tx, dealerID, id, now, user, "reopened", note, detail); err != nil {
		return err
	}
	var uid int64
	if user != nil {
		uid = *user
	}
	return auditComplaint(ctx, tx, dealerID, uid, "complaint.reopen", id, audit)
}

// auditComplaint writes one audit_log row about a complaint.
func auditComplaint(ctx context.Context, tx pgx.Tx, dealerID, userID int64, action string, id int64, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := store.New(tx).InsertAudit(ctx, store.InsertAuditParams{
		DealerID: &dealerID, UserID: nullID(userID), Action: action, SubjectType: "complaint", SubjectID: &id, Detail: b,
	}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// afterOutcome is what a saved outcome does for complaints and scores, in the outcome's
// transaction: its 1-5 scores are stored (call_scores: the satisfaction report, the
// low-score list, the spot-check sample), and a call that is the satisfaction call of a
// resolved complaint closes it when every score is 4 or 5, or reopens it (serious) when
// one is 3 or less.
func (e effector) afterOutcome(ctx context.Context, tx pgx.Tx, task store.LockCallTaskRow, outcomeID int64, answers json.RawMessage, agent *int64) error {
	scores := Scores(answers)
	if len(scores) == 0 {
		return nil
	}
	today, err := e.today(ctx)
	if err != nil {
		return err
	}
	for q, s := range scores {
		if _, err := tx.Exec(ctx, `
			INSERT INTO call_scores (outcome_id, question, dealer_id, attempt_id, customer_id, agent_user_id, campaign, advisor, day, score)
			SELECT o.id, $2, o.dealer_id, o.attempt_id, t.customer_id, o.agent_user_id, COALESCE(t.campaigns[1], ''),
			       COALESCE((SELECT w.advisor FROM workshop_visits w WHERE w.customer_id = t.customer_id AND w.day <= $3
			                 ORDER BY w.day DESC, w.id DESC LIMIT 1), ''), $3, $4
			FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id WHERE o.id = $1
			ON CONFLICT DO NOTHING`, outcomeID, q, today, s); err != nil {
			return fmt.Errorf("outcome %d score %s: %w", outcomeID, q, err)
		}
	}
	// The satisfaction call: a reason of this task that is a resolved complaint's call.
	rows, err := tx.Query(ctx, `
		SELECT k.id FROM call_task_reasons r
		JOIN complaints k ON k.id = (r.facts->>'complaint_id')::bigint AND k.dealer_id = r.dealer_id
		WHERE r.task_id = $1 AND r.campaign = 'complaint' AND r.occurrence LIKE '%:closed%' AND k.status = 'resolved'
		FOR UPDATE OF k`, task.ID)
	if err != nil {
		return fmt.Errorf("outcome %d satisfaction call: %w", outcomeID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("outcome %d satisfaction call: %w", outcomeID, err)
	}
	low := 5
	for _, s := range scores {
		low = min(low, s)
	}
	detail := map[string]any{"outcome_id": outcomeID, "score": low}
	for _, id := range ids {
		if low >= 4 {
			if _, err := tx.Exec(ctx, `UPDATE complaints SET status = 'closed', closed_at = $2 WHERE id = $1`, id, e.now); err != nil {
				return fmt.Errorf("close complaint %d: %w", id, err)
			}
			if err := complaintEvent(ctx, tx, e.dealerID, id, e.now, agent, "closed", "", detail); err != nil {
				return err
			}
			continue
		}
		if err := reopenComplaint(ctx, tx, e.dealerID, id, e.now, agent, "满意度回访不满意", detail, map[string]any{"note": "满意度回访不满意"}); err != nil {
			return err
		}
	}
	return nil
}

// Scores returns the 1-5 scores of a call's answers, by question: an answer
// {"kind": "score", "score": N} (the console marks the questions of kind score), or a
// bare number (older outcomes). Other answers, and scores outside 1-5, are not scores.
func Scores(answers json.RawMessage) map[string]int {
	var m map[string]json.RawMessage
	if len(answers) == 0 || json.Unmarshal(answers, &m) != nil {
		return nil
	}
	out := map[string]int{}
	for k, v := range m {
		var n float64
		if json.Unmarshal(v, &n) == nil {
			if n >= 1 && n <= 5 && n == float64(int(n)) {
				out[k] = int(n)
			}
			continue
		}
		var a struct {
			Kind  string   `json:"kind"`
			Score *float64 `json:"score"`
		}
		if json.Unmarshal(v, &a) == nil && a.Kind == "score" && a.Score != nil && *a.Score >= 1 && *a.Score <= 5 && *a.Score == float64(int(*a.Score)) {
			out[k] = int(*a.Score)
		}
	}
	return out
}

// IsLowScore reports whether a 1-5 score is low (1 or 2; docs/domain.md, "Low satisfaction scores").
func IsLowScore(score int) bool { return score >= 1 && score <= 2 }

// Complaint notices (ComplaintNotice.Kind): what the directors are told at once.
const (
	NoticeOpened         = "opened"
	NoticeReopened       = "reopened"
	NoticeRespondOverdue = "respond_overdue"
	NoticeResolveOverdue = "resolve_overdue"
)

// ComplaintNotice is one thing the directors of a dealer are told about a complaint: it
// opened, it reopened, or it passed a deadline.
type ComplaintNotice struct {
	DealerID    int64     `json:"-"`
	ComplaintID int64     `json:"complaint_id"`
	Kind        string    `json:"kind"`
	CustomerID  int64     `json:"customer_id"`
	Customer    string    `json:"customer"`
	Category    string    `json:"category"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	OwnerID     int64     `json:"owner_id"`
	Owner       string    `json:"owner"`
	Due         time.Time `json:"due"`
	Description string    `json:"description"`
}

// SweepComplaints fills the deadlines of complaints written without them (imports, the
// API) and claims, once each, the notices due at now: complaints not yet told as opened,
// and open complaints past a deadline not yet told (each also gets an "overdue" timeline
// event). With the dealer's complaint_sms on, each notice queues an SMS to the mobile of
// every active director and admin of the dealer (service SMS, once per notice and user).
// Several processes may sweep at once: each notice is claimed by one.
func SweepComplaints(ctx context.Context, db store.TxBeginner, now time.Time) ([]ComplaintNotice, error) {
	var out []ComplaintNotice
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT dealer_id FROM complaints
			WHERE told_open_at IS NULL OR (status IN ('open', 'responded') AND (told_respond_overdue_at IS NULL OR told_resolve_overdue_at IS NULL))`)
		if err != nil {
			return fmt.Errorf("sweep complaints: %w", err)
		}
		dealers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("sweep complaints: %w", err)
		}
		for _, d := range dealers {
			if _, err := fillComplaints(ctx, tx, d, now); err != nil {
				return err
			}
			ns, err := claimNotices(ctx, tx, d, now)
			if err != nil {
				return err
			}
			if err := smsNotices(ctx, tx, d, ns); err != nil {
				return err
			}
			out = append(out, ns...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimNotices marks and returns the notices of one dealer due at now.
func claimNotices(ctx context.Context, tx pgx.Tx, dealerID int64, now time.Time) ([]ComplaintNotice, error) {
	rows, err := tx.Query(ctx, `
		WITH n AS (
		    SELECT k.id,
		           CASE WHEN k.told_open_at IS NULL AND k.reopened > 0 THEN 'reopened'
		                WHEN k.told_open_at IS NULL THEN 'opened'
		                WHEN k.status = 'open' AND k.respond_due <= $2 AND k.told_respond_overdue_at IS NULL THEN 'respond_overdue'
		                WHEN k.status IN ('open', 'responded') AND k.resolve_due <= $2 AND k.told_resolve_overdue_at IS NULL THEN 'resolve_overdue'
		           END AS kind
		    FROM complaints k
		    WHERE k.dealer_id = $1 AND (k.told_open_at IS NULL OR (k.status IN ('open', 'responded')
		          AND (k.told_respond_overdue_at IS NULL OR k.told_resolve_overdue_at IS NULL)))
		    FOR UPDATE OF k SKIP LOCKED
		)
		UPDATE complaints k SET
		    told_open_at = CASE WHEN n.kind IN ('opened', 'reopened') THEN $2 ELSE k.told_open_at END,
		    told_respond_overdue_at = CASE WHEN n.kind = 'respond_overdue' THEN $2 ELSE k.told_respond_overdue_at END,
		    told_resolve_overdue_at = CASE WHEN n.kind = 'resolve_overdue' THEN $2 ELSE k.told_resolve_overdue_at END
		FROM n WHERE k.id = n.id AND n.kind IS NOT NULL
		RETURNING k.id, n.kind, k.customer_id, (SELECT c.name FROM customers c WHERE c.id = k.customer_id),
		          k.category, k.severity, k.status, COALESCE(k.owner_user_id, 0),
		          COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = k.owner_user_id), ''),
		          CASE WHEN n.kind = 'resolve_overdue' THEN k.resolve_due ELSE k.respond_due END, k.description`, dealerID, now)
	if err != nil {
		return nil, fmt.Errorf("complaint notices of dealer %d: %w", dealerID, err)
	}
	var ns []ComplaintNotice
	for rows.Next() {
		n := ComplaintNotice{DealerID: dealerID}
		if err := rows.Scan(&n.ComplaintID, &n.Kind, &n.CustomerID, &n.Customer, &n.Category, &n.Severity, &n.Status,
			&n.OwnerID, &n.Owner, &n.Due, &n.Description); err != nil {
			rows.Close()
			return nil, fmt.Errorf("complaint notices of dealer %d: %w", dealerID, err)
		}
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("complaint notices of dealer %d: %w", dealerID, err)
	}
	for _, n := range ns {
		if n.Kind == NoticeOpened || n.Kind == NoticeReopened {
			continue
		}
		if err := complaintEvent(ctx, tx, dealerID, n.ComplaintID, now, nil, "overdue", "",
			map[string]any{"deadline": n.Kind, "due": n.Due}); err != nil {
			return nil, err
		}
	}
	return ns, nil
}

// smsNotices queues the SMS of the notices when the dealer turned complaint_sms on.
func smsNotices(ctx context.Context, tx pgx.Tx, dealerID int64, ns []ComplaintNotice) error {
	if len(ns) == 0 {
		return nil
	}
	r, err := LoadRules(ctx, tx, dealerID)
	if err != nil {
		return err
	}
	if r.Get("complaint_sms") != 1 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, mobile FROM users WHERE dealer_id = $1 AND active AND role IN ('director', 'admin') AND mobile <> '' ORDER BY id`, dealerID)
	if err != nil {
		return fmt.Errorf("complaint SMS of dealer %d: %w", dealerID, err)
	}
	type to struct {
		id     int64
		mobile string
	}
	tos, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (to, error) {
		var t to
		err := row.Scan(&t.id, &t.mobile)
		return t, err
	})
	if err != nil {
		return fmt.Errorf("complaint SMS of dealer %d: %w", dealerID, err)
	}
	q := store.New(tx)
	for _, n := range ns {
		body := ComplaintNoticeText(n)
		for _, t := range tos {
			key := fmt.Sprintf("complaint:%d:%s:%s:%d", n.ComplaintID, n.Kind, n.Due.UTC().Format(time.RFC3339), t.id)
			id, err := q.InsertSMSMessageVars(ctx, store.InsertSMSMessageVarsParams{DealerID: dealerID, Phone: t.mobile,
				Kind: "service", Template: "complaint_alert", Body: body, Status: "queued", IdempotencyKey: key, Vars: json.RawMessage(`{}`)})
			if errors.Is(err, pgx.ErrNoRows) {
				continue // queued before
			}
			if err != nil {
				return fmt.Errorf("complaint SMS to user %d: %w", t.id, err)
			}
			if err := insertOutbox(ctx, q, dealerID, TypeSMSSend, SMSSendPayload{MessageID: id}); err != nil {
				return err
			}
		}
	}
	return nil
}

// ComplaintNoticeText is a notice in Chinese words, as the SMS says it.
func ComplaintNoticeText(n ComplaintNotice) string {
	what := map[string]string{NoticeOpened: "新抱怨", NoticeReopened: "抱怨重新开启", NoticeRespondOverdue: "抱怨首次回复已超时", NoticeResolveOverdue: "抱怨处理已超时"}[n.Kind]
	sev := ""
	if n.Severity == SeveritySerious {
		sev = "（严重）"
	}
	owner := n.Owner
	if owner == "" {
		owner = "未指定"
	}
	return fmt.Sprintf("%s%s：客户%s，负责人%s，编号%d。请登录回访系统处理。", what, sev, n.Customer, owner, n.ComplaintID)
}
