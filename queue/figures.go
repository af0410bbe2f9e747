package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// The figures of docs/domain.md "Figures, defined" about satisfaction and complaints,
// each defined here once; every page (the satisfaction report, the complaints page, the
// low-score list, the spot-check page) and every export asks these functions, and each
// figure's list of calls or complaints comes from the same predicate.

// Satisfaction dimensions: what a satisfaction figure is per.
const (
	ByCampaign = "campaign"
	ByAgent    = "agent"
	ByAdvisor  = "advisor"
	ByMonth    = "month"
	ByCategory = "category"
)

// ErrBadDimension is returned for a dimension a figure is not given per.
var ErrBadDimension = errors.New("queue: unknown figure dimension")

// SatisfactionRow is the satisfaction (CSI) of one group over a period: N scores (1-5)
// given by calls whose outcome fell on a day of the period, their sum, and how many were
// 4 or 5.
type SatisfactionRow struct {
	// Key is the campaign code, the agent's user id, the advisor's name or the month
	// (YYYY-MM); Label is the agent's name for agents, else Key.
	Key   string
	Label string
	// Total marks the row of the whole period.
	Total bool
	N     int64
	Sum   int64
	High  int64
}

// Mean is the mean score (0 without scores).
func (r SatisfactionRow) Mean() float64 {
	if r.N == 0 {
		return 0
	}
	return float64(r.Sum) / float64(r.N)
}

// Share45 is the share of scores of 4 or 5, 0..1 (0 without scores).
func (r SatisfactionRow) Share45() float64 {
	if r.N == 0 {
		return 0
	}
	return float64(r.High) / float64(r.N)
}

// satisfactionKey is the SQL of each dimension's group key over call_scores s.
func satisfactionKey(by string) (string, error) {
	switch by {
	case ByCampaign:
		return "s.campaign", nil
	case ByAgent:
		return "COALESCE(s.agent_user_id, 0)::text", nil
	case ByAdvisor:
		return "s.advisor", nil
	case ByMonth:
		return "to_char(s.day, 'YYYY-MM')", nil
	}
	return "", fmt.Errorf("%w %q", ErrBadDimension, by)
}

// Satisfaction is the satisfaction figure (CSI) of dealerID over the days from..to
// (both included), per campaign, agent, service advisor and month (ByCampaign, ByAgent,
// ByAdvisor, ByMonth): every 1-5 score of a call of those days (call_scores, written with
// each outcome; a call with two scored questions counts twice). It sums the daily
// roll-ups of call_scores (call_score_days, kept with every score by migration 0250's
// trigger: the same counts, a few dozen rows a day instead of every score), one pass for
// every dimension. Each dimension's rows start with the whole period (Total), then each
// group in key order; SatisfactionCalls lists the scores behind each figure.
func Satisfaction(ctx context.Context, db store.DBTX, dealerID int64, from, to time.Time) (map[string][]SatisfactionRow, error) {
	rows, err := db.Query(ctx, `
		WITH d AS (SELECT d.dim, d.key, d.day, d.n, d.sum, d.high FROM call_score_days d
		           WHERE d.dealer_id = $1 AND d.day BETWEEN $2 AND $3)
		SELECT x.by, x.key,
		       CASE WHEN x.by = 'agent' THEN COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u
		                                              WHERE u.id = x.key::bigint), '') ELSE '' END,
		       x.n, x.sum, x.high
		FROM (SELECT d.dim AS by, d.key, sum(d.n)::bigint AS n, sum(d.sum)::bigint AS sum, sum(d.high)::bigint AS high
		      FROM d GROUP BY 1, 2
		      UNION ALL
		      SELECT 'month', to_char(d.day, 'YYYY-MM'), sum(d.n)::bigint, sum(d.sum)::bigint, sum(d.high)::bigint
		      FROM d WHERE d.dim = 'campaign' GROUP BY 2
		      UNION ALL
		      SELECT '', '', sum(d.n)::bigint, sum(d.sum)::bigint, sum(d.high)::bigint FROM d WHERE d.dim = 'campaign') x
		WHERE x.n > 0
		ORDER BY x.by, x.key`, dealerID, from, to)
	if err != nil {
		return nil, fmt.Errorf("satisfaction: %w", err)
	}
	out := map[string][]SatisfactionRow{}
	total := SatisfactionRow{Total: true}
	for rows.Next() {
		var by string
		var r SatisfactionRow
		if err := rows.Scan(&by, &r.Key, &r.Label, &r.N, &r.Sum, &r.High); err != nil {
			rows.Close()
			return nil, fmt.Errorf("satisfaction: %w", err)
		}
		switch by {
		case "":
			r.Total = true
			total = r
			continue
		case ByCampaign, ByAgent, ByAdvisor, ByMonth:
		default:
			continue
		}
		if by != ByAgent || r.Label == "" {
			r.Label = r.Key
		}
		out[by] = append(out[by], r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("satisfaction: %w", err)
	}
	for _, by := range []string{ByCampaign, ByAgent, ByAdvisor, ByMonth} {
		out[by] = append([]SatisfactionRow{total}, out[by]...)
	}
	return out, nil
}

// ScoredCall is one score behind a satisfaction figure.
type ScoredCall struct {
	OutcomeID int64
	AttemptID int64
	Day       time.Time
	Agent     string
	Customer  string
	Campaign  string
	Advisor   string
	Question  string
	Score     int
}

// SatisfactionCalls lists the scores behind one figure of Satisfaction (the same days,
// the same group key; all for the whole period), at most limit, newest first; high
// keeps only the 4-5 scores.
func SatisfactionCalls(ctx context.Context, db store.DBTX, dealerID int64, from, to time.Time, by, key string, all, high bool, limit int) ([]ScoredCall, error) {
	expr, err := satisfactionKey(by)
	if err != nil {
		return nil, err
	}
	// The page of scores is found on call_scores_list_idx alone (index-only, newest first,
	// stopping at the limit); only the customers of the page are read.
	rows, err := db.Query(ctx, `
		SELECT s.outcome_id, COALESCE(s.attempt_id, 0), s.day,
		       COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = s.agent_user_id), ''),
		       c.name, s.campaign, s.advisor, s.question, s.score
		FROM (SELECT s.outcome_id, s.attempt_id, s.day, s.agent_user_id, s.customer_id, s.campaign, s.advisor, s.question, s.score
		      FROM call_scores s
		      WHERE s.dealer_id = $1 AND s.day BETWEEN $2 AND $3 AND ($7 OR `+expr+` = $4) AND (NOT $5 OR s.score >= 4)
		      ORDER BY s.day DESC, s.outcome_id DESC LIMIT $6) s
		JOIN customers c ON c.id = s.customer_id
		ORDER BY s.day DESC, s.outcome_id DESC`, dealerID, from, to, key, high, limit, all)
	if err != nil {
		return nil, fmt.Errorf("satisfaction calls: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ScoredCall, error) {
		var c ScoredCall
		err := row.Scan(&c.OutcomeID, &c.AttemptID, &c.Day, &c.Agent, &c.Customer, &c.Campaign, &c.Advisor, &c.Question, &c.Score)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("satisfaction calls: %w", err)
	}
	return out, nil
}

// ComplaintFigureRow is the complaint figures of one group (a category or a month of
// opening) over a period; see ComplaintFigures for each definition.
type ComplaintFigureRow struct {
	Key string
	// Total marks the row of the whole period.
	Total bool
	// Opened counts the complaints opened in the period; Reached the calls that reached a
	// customer in the period (the same for every group: the base of Per100).
	Opened  int64
	Reached int64
	// Responded counts those with a first response; MedianResponse is its median time.
	Responded      int64
	MedianResponse time.Duration
	// Due counts those whose resolution deadline has passed or that are resolved;
	// InTime those of them resolved by the deadline.
	Due    int64
	InTime int64
	// Reopened counts those reopened at least once.
	Reopened int64
}

// Per100 is complaints per 100 reached calls.
func (r ComplaintFigureRow) Per100() float64 {
	if r.Reached == 0 {
		return 0
	}
	return 100 * float64(r.Opened) / float64(r.Reached)
}

// InTimeShare is the share resolved in time, 0..1.
func (r ComplaintFigureRow) InTimeShare() float64 {
	if r.Due == 0 {
		return 0
	}
	return float64(r.InTime) / float64(r.Due)
}

// ReopenRate is the share reopened, 0..1.
func (r ComplaintFigureRow) ReopenRate() float64 {
	if r.Opened == 0 {
		return 0
	}
	return float64(r.Reopened) / float64(r.Opened)
}

// ComplaintFigures are the complaint figures of docs/domain.md per category and per
// month of opening (ByCategory, ByMonth) over the days from..to, each dimension's rows
// starting with the whole period (Total), in one pass over the complaints:
//
//   - complaints per 100 reached calls: complaints opened (opened_on) in the period per
//     100 outcomes of the period whose code says the customer was reached;
//   - median time to first response: responded_at - opened_at of those with a response;
//   - share resolved in time: of those resolved or past their resolution deadline at
//     now, the ones resolved by the deadline;
//   - reopen rate: of those opened, the ones reopened at least once.
func ComplaintFigures(ctx context.Context, db store.DBTX, dealerID int64, from, to, now time.Time) (map[string][]ComplaintFigureRow, error) {
	// The reached outcomes from the daily roll-up of call_outcomes (call_outcome_days: per
	// dealer, local day and code, kept with every outcome by migration 0250's trigger).
	var reached int64
	if err := db.QueryRow(ctx, `
		SELECT COALESCE(sum(x.n), 0)::bigint FROM call_outcome_days x
		WHERE x.dealer_id = $1 AND x.day BETWEEN $2 AND $3
		  AND x.code IN (SELECT oc.code FROM outcome_codes oc WHERE oc.reached AND (oc.dealer_id = $1 OR oc.dealer_id IS NULL))`,
		dealerID, from, to).Scan(&reached); err != nil {
		return nil, fmt.Errorf("complaint figures: reached calls: %w", err)
	}
	rows, err := db.Query(ctx, `
		SELECT GROUPING(k_category, k_month), COALESCE(k_category, k_month, ''), count(*),
		       count(*) FILTER (WHERE responded_at IS NOT NULL),
		       COALESCE(EXTRACT(EPOCH FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY responded_at - opened_at)), 0)::float8,
		       count(*) FILTER (WHERE resolved_at IS NOT NULL OR resolve_due <= $4),
		       count(*) FILTER (WHERE resolved_at IS NOT NULL AND resolved_at <= resolve_due),
		       count(*) FILTER (WHERE reopened > 0)
		FROM (SELECT k.category AS k_category, to_char(k.opened_on, 'YYYY-MM') AS k_month, k.responded_at, k.opened_at,
		             k.resolved_at, k.resolve_due, k.reopened
		      FROM complaints k WHERE k.dealer_id = $1 AND k.opened_on BETWEEN $2 AND $3) x
		GROUP BY GROUPING SETS ((), (k_category), (k_month)) ORDER BY 1 DESC, 2`, dealerID, from, to, now)
	if err != nil {
		return nil, fmt.Errorf("complaint figures: %w", err)
	}
	total := ComplaintFigureRow{Total: true, Reached: reached}
	out := map[string][]ComplaintFigureRow{}
	for rows.Next() {
		r := ComplaintFigureRow{Reached: reached}
		var g int
		var secs float64
		if err := rows.Scan(&g, &r.Key, &r.Opened, &r.Responded, &secs, &r.Due, &r.InTime, &r.Reopened); err != nil {
			rows.Close()
			return nil, fmt.Errorf("complaint figures: %w", err)
		}
		r.MedianResponse = time.Duration(secs * float64(time.Second))
		switch g {
		case 3:
			r.Total = true
			total = r
		case 1:
			out[ByCategory] = append(out[ByCategory], r)
		case 2:
			out[ByMonth] = append(out[ByMonth], r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("complaint figures: %w", err)
	}
	for _, by := range []string{ByCategory, ByMonth} {
		out[by] = append([]ComplaintFigureRow{total}, out[by]...)
	}
	return out, nil
}
