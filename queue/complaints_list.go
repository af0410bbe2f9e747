package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// ComplaintFilter selects complaints for the directors' complaints page and its export.
type ComplaintFilter struct {
	DealerID int64
	// Status is "active" (open or responded), one of the complaint states, or "" (all).
	Status string
	// Severity, Category: "" for any. Owner: 0 for any.
	Severity string
	Category string
	Owner    int64
	// Overdue keeps only complaints past a deadline at Now.
	Overdue bool
	// From and To bound the day it was opened (zero: unbounded).
	From, To time.Time
	// CustomerID keeps one customer's (0: any).
	CustomerID int64
	// Now decides what is overdue.
	Now time.Time
	// Limit bounds the list (0: 500).
	Limit int
}

// ComplaintItem is one complaint as the directors' pages show it.
type ComplaintItem struct {
	ID             int64
	CustomerID     int64
	Customer       string
	Title          string
	Phone          string
	Category       string
	Description    string
	Severity       string
	Status         string
	Source         string
	OwnerID        int64
	Owner          string
	OpenedBy       string
	OpenedOn       time.Time
	OpenedAt       time.Time
	RespondDue     *time.Time
	ResolveDue     *time.Time
	RespondedAt    *time.Time
	ResponseNote   string
	ResolvedAt     *time.Time
	ResolutionNote string
	ClosedAt       *time.Time
	Reopened       int
	AttemptID      int64
	Recording      bool
	// Overdue names the deadline passed at the filter's Now: "respond", "resolve" or "".
	Overdue string
}

// Active reports whether the complaint still waits for its owner (open or responded).
func (c ComplaintItem) Active() bool {
	return c.Status == ComplaintOpen || c.Status == ComplaintResponded
}

const complaintColumns = `k.id, k.customer_id, c.name, c.title, c.phone, k.category, k.description, k.severity, k.status, k.source,
	COALESCE(k.owner_user_id, 0), COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = k.owner_user_id), ''),
	COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = k.opened_by), ''),
	k.opened_on, COALESCE(k.opened_at, k.created_at), k.respond_due, k.resolve_due, k.responded_at, k.response_note,
	k.resolved_at, k.resolution_note, k.closed_at, k.reopened, COALESCE(k.attempt_id, 0),
	COALESCE((SELECT a.recording_path <> '' FROM call_attempts a WHERE a.id = k.attempt_id), false),
	CASE WHEN k.status = 'open' AND k.respond_due <= $2 THEN 'respond'
	     WHEN k.status IN ('open', 'responded') AND k.resolve_due <= $2 THEN 'resolve' ELSE '' END`

func scanComplaint(row pgx.CollectableRow) (ComplaintItem, error) {
	var k ComplaintItem
	err := row.Scan(&k.ID, &k.CustomerID, &k.Customer, &k.Title, &k.Phone, &k.Category, &k.Description, &k.Severity, &k.Status, &k.Source,
		&k.OwnerID, &k.Owner, &k.OpenedBy, &k.OpenedOn, &k.OpenedAt, &k.RespondDue, &k.ResolveDue, &k.RespondedAt, &k.ResponseNote,
		&k.ResolvedAt, &k.ResolutionNote, &k.ClosedAt, &k.Reopened, &k.AttemptID, &k.Recording, &k.Overdue)
	return k, err
}

// ListComplaints lists the dealer's complaints for the directors: overdue first, then
// the active ones, serious before normal, oldest first; then the others newest first.
func ListComplaints(ctx context.Context, db store.DBTX, f ComplaintFilter) ([]ComplaintItem, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	// The page is chosen on the complaints alone; only its rows are joined to their
	// customers and calls.
	const order = `((k.status = 'open' AND k.respond_due <= $2) OR (k.status IN ('open', 'responded') AND k.resolve_due <= $2)) DESC,
		         (k.status IN ('open', 'responded')) DESC, (k.severity = 'serious') DESC,
		         CASE WHEN k.status IN ('open', 'responded') THEN k.opened_at END ASC, k.opened_on DESC, k.id DESC`
	rows, err := db.Query(ctx, `
		SELECT `+complaintColumns+`
		FROM (SELECT k.* FROM complaints k
		      WHERE k.dealer_id = $1
		        AND ($3 = '' OR ($3 = 'active' AND k.status IN ('open', 'responded')) OR k.status = $3)
		        AND ($4 = '' OR k.severity = $4) AND ($5 = '' OR k.category = $5) AND ($6 = 0 OR k.owner_user_id = $6)
		        AND (NOT $7 OR (k.status = 'open' AND k.respond_due <= $2) OR (k.status IN ('open', 'responded') AND k.resolve_due <= $2))
		        AND ($8::date IS NULL OR k.opened_on >= $8) AND ($9::date IS NULL OR k.opened_on <= $9)
		        AND ($10 = 0 OR k.customer_id = $10)
		      ORDER BY `+order+`
		      LIMIT $11) k
		JOIN customers c ON c.id = k.customer_id
		ORDER BY `+order,
		f.DealerID, f.Now, f.Status, f.Severity, f.Category, f.Owner, f.Overdue, from, to, f.CustomerID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list complaints: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanComplaint)
	if err != nil {
		return nil, fmt.Errorf("list complaints: %w", err)
	}
	return out, nil
}

// ComplaintEvent is one line of a complaint's timeline.
type ComplaintEvent struct {
	At     time.Time
	User   string
	Kind   string
	Note   string
	Detail map[string]any
}

// GetComplaint returns one of the dealer's complaints with its timeline, oldest first.
func GetComplaint(ctx context.Context, db store.DBTX, dealerID, id int64, now time.Time) (*ComplaintItem, []ComplaintEvent, error) {
	rows, err := db.Query(ctx, `SELECT `+complaintColumns+`
		FROM complaints k JOIN customers c ON c.id = k.customer_id WHERE k.dealer_id = $1 AND k.id = $3`, dealerID, now, id)
	if err != nil {
		return nil, nil, fmt.Errorf("complaint %d: %w", id, err)
	}
	k, err := pgx.CollectExactlyOneRow(rows, scanComplaint)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("complaint %d: %w", id, ErrComplaintNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("complaint %d: %w", id, err)
	}
	rows, err = db.Query(ctx, `SELECT e.at, COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = e.user_id), ''),
		e.kind, e.note, e.detail FROM complaint_events e WHERE e.complaint_id = $1 ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("complaint %d timeline: %w", id, err)
	}
	evs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ComplaintEvent, error) {
		var e ComplaintEvent
		err := row.Scan(&e.At, &e.User, &e.Kind, &e.Note, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("complaint %d timeline: %w", id, err)
	}
	return &k, evs, nil
}

// LowScoreItem is a call with a low score (1 or 2) on the directors' low-score list.
type LowScoreItem struct {
	OutcomeID   int64
	AttemptID   int64
	Day         time.Time
	CustomerID  int64
	Customer    string
	Agent       string
	Campaign    string
	Questions   string
	Score       int
	ComplaintID int64
	AckedAt     *time.Time
	AckedBy     string
	AckNote     string
}

// LowScores lists the dealer's low-score calls (docs/domain.md "Low satisfaction
// scores"): the ones not acknowledged (acked false), those without a complaint first,
// each group newest first; or the acknowledged ones (acked true), the latest
// acknowledgement first. At most limit. The ids are found first, walking the low scores
// newest first (call_scores_low_idx) and stopping at the limit, then described.
func LowScores(ctx context.Context, db store.DBTX, dealerID int64, acked bool, limit int) ([]LowScoreItem, error) {
	if limit <= 0 {
		limit = 500
	}
	var ids []int64
	collect := func(q string, args ...any) error {
		rows, err := db.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("low scores: %w", err)
		}
		more, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("low scores: %w", err)
		}
		ids = append(ids, more...)
		return nil
	}
	if acked {
		if err := collect(`SELECT a.outcome_id FROM low_score_acks a WHERE a.dealer_id = $1 ORDER BY a.at DESC LIMIT $2`, dealerID, limit); err != nil {
			return nil, err
		}
	} else {
		for _, withComplaint := range []bool{false, true} {
			if len(ids) >= limit {
				break
			}
			if err := collect(`
				SELECT s.outcome_id FROM call_scores s
				WHERE s.dealer_id = $1 AND s.score <= 2
				  AND NOT EXISTS (SELECT 1 FROM low_score_acks a WHERE a.outcome_id = s.outcome_id)
				  AND EXISTS (SELECT 1 FROM complaints k WHERE k.outcome_id = s.outcome_id) = $2
				GROUP BY s.outcome_id ORDER BY s.outcome_id DESC LIMIT $3`, dealerID, withComplaint, limit-len(ids)); err != nil {
				return nil, err
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := db.Query(ctx, `
		SELECT s.outcome_id, COALESCE(min(s.attempt_id), 0), min(s.day), min(s.customer_id), min(c.name),
		       COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = min(s.agent_user_id)), ''),
		       min(s.campaign), string_agg(s.question, ' ' ORDER BY s.question), min(s.score),
		       COALESCE((SELECT k.id FROM complaints k WHERE k.outcome_id = s.outcome_id LIMIT 1), 0),
		       min(a.at), COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = min(a.user_id)), ''),
		       COALESCE(min(a.note), '')
		FROM call_scores s JOIN customers c ON c.id = s.customer_id
		LEFT JOIN low_score_acks a ON a.outcome_id = s.outcome_id
		WHERE s.outcome_id = ANY($1) AND s.score <= 2
		GROUP BY s.outcome_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("low scores: %w", err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LowScoreItem, error) {
		var l LowScoreItem
		err := row.Scan(&l.OutcomeID, &l.AttemptID, &l.Day, &l.CustomerID, &l.Customer, &l.Agent, &l.Campaign, &l.Questions, &l.Score,
			&l.ComplaintID, &l.AckedAt, &l.AckedBy, &l.AckNote)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("low scores: %w", err)
	}
	byID := make(map[int64]LowScoreItem, len(got))
	for _, l := range got {
		byID[l.OutcomeID] = l
	}
	out := make([]LowScoreItem, 0, len(ids))
	for _, id := range ids {
		if l, ok := byID[id]; ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// AckLowScore takes a low-score call off the list with the director's note (required),
// audited; acknowledging it again changes nothing.
func AckLowScore(ctx context.Context, db store.TxBeginner, dealerID, outcomeID, userID int64, note string, now time.Time) error {
	note = strings.TrimSpace(note)
	if note == "" {
		return &ComplaintError{Field: "note", Msg: "a note is required", Zh: "请填写处理说明"}
	}
	return store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM call_scores WHERE outcome_id = $1 AND dealer_id = $2 AND score <= 2)`,
			outcomeID, dealerID).Scan(&ok); err != nil {
			return fmt.Errorf("low score %d: %w", outcomeID, err)
		}
		if !ok {
			return fmt.Errorf("low score %d: %w", outcomeID, ErrComplaintNotFound)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO low_score_acks (outcome_id, dealer_id, user_id, at, note) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, outcomeID, dealerID, nullID(userID), now, note)
		if err != nil {
			return fmt.Errorf("low score %d: %w", outcomeID, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return auditComplaint(ctx, tx, dealerID, userID, "low_score.ack", outcomeID, map[string]any{"note": note})
	})
}

// AgentWeek is one agent's spot-checks scored in one week (Monday to Sunday).
type AgentWeek struct {
	AgentID int64
	Agent   string
	Week    time.Time
	Checked int64
	Passed  int64
	// MeanPct is the mean total score in percent of the rubric's maximum.
	MeanPct float64
}

// PassRate is the share of the week's checks that passed, 0..1.
func (a AgentWeek) PassRate() float64 {
	if a.Checked == 0 {
		return 0
	}
	return float64(a.Passed) / float64(a.Checked)
}

// AgentWeeklyChecks is the spot-check figure per agent per week: the checks scored
// (by the dealer's local day of scoring) in the weeks from..to, their pass rate and mean
// score, agent by agent, week by week.
func AgentWeeklyChecks(ctx context.Context, db store.DBTX, dealerID int64, from, to time.Time) ([]AgentWeek, error) {
	rows, err := db.Query(ctx, `
		SELECT s.agent_user_id, COALESCE(NULLIF(u.display_name, ''), u.username), date_trunc('week', (s.scored_at AT TIME ZONE d.time_zone))::date AS wk,
		       count(*), count(*) FILTER (WHERE s.passed),
		       COALESCE(avg(100.0 * s.total / NULLIF(s.max_total, 0)), 0)::float8
		FROM spot_checks s JOIN users u ON u.id = s.agent_user_id JOIN dealers d ON d.id = s.dealer_id
		WHERE s.dealer_id = $1 AND s.status = 'scored'
		  AND s.scored_at >= ($2::date::timestamp AT TIME ZONE d.time_zone) AND s.scored_at < (($3::date + 1)::timestamp AT TIME ZONE d.time_zone)
		GROUP BY 1, 2, 3 ORDER BY 2, 3`, dealerID, from, to)
	if err != nil {
		return nil, fmt.Errorf("weekly checks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentWeek, error) {
		var a AgentWeek
		err := row.Scan(&a.AgentID, &a.Agent, &a.Week, &a.Checked, &a.Passed, &a.MeanPct)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("weekly checks: %w", err)
	}
	return out, nil
}
