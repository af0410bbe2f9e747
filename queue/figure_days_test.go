package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// rawSatisfaction is Satisfaction as it was computed before the daily roll-ups: one
// pass over every score of the period (call_scores). The roll-up version must give the
// same rows.
func rawSatisfaction(t testing.TB, db *pgxpool.Pool, dealerID int64, from, to time.Time) map[string][]SatisfactionRow {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT g.g, COALESCE(g.k_campaign, g.k_agent, g.k_advisor, g.k_month, ''),
		       COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id::text = g.k_agent), ''),
		       g.n, COALESCE(g.sum, 0), g.high
		FROM (SELECT GROUPING(k_campaign, k_agent, k_advisor, k_month) AS g, k_campaign, k_agent, k_advisor, k_month,
		             count(*) AS n, sum(score) AS sum, count(*) FILTER (WHERE score >= 4) AS high
		      FROM (SELECT s.campaign AS k_campaign, COALESCE(s.agent_user_id, 0)::text AS k_agent, s.advisor AS k_advisor,
		                   to_char(s.day, 'YYYY-MM') AS k_month, s.score
		            FROM call_scores s WHERE s.dealer_id = $1 AND s.day BETWEEN $2 AND $3) x
		      GROUP BY GROUPING SETS ((), (k_campaign), (k_agent), (k_advisor), (k_month))) g
		ORDER BY g.g, 2`, dealerID, from, to)
	require.NoError(t, err)
	defer rows.Close()
	dims := map[int]string{7: ByCampaign, 11: ByAgent, 13: ByAdvisor, 14: ByMonth}
	out := map[string][]SatisfactionRow{}
	total := SatisfactionRow{Total: true}
	for rows.Next() {
		var g int
		var r SatisfactionRow
		require.NoError(t, rows.Scan(&g, &r.Key, &r.Label, &r.N, &r.Sum, &r.High))
		if g == 15 {
			if r.N > 0 {
				r.Total = true
				total = r
			}
			continue
		}
		if dims[g] != ByAgent || r.Label == "" {
			r.Label = r.Key
		}
		out[dims[g]] = append(out[dims[g]], r)
	}
	require.NoError(t, rows.Err())
	for _, by := range []string{ByCampaign, ByAgent, ByAdvisor, ByMonth} {
		out[by] = append([]SatisfactionRow{total}, out[by]...)
	}
	return out
}

// rawReached counts the reached outcomes of the dealer's local days from..to from
// call_outcomes itself, as ComplaintFigures did before the roll-ups.
func rawReached(t testing.TB, db *pgxpool.Pool, dealerID int64, from, to time.Time) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.QueryRow(context.Background(), `
		SELECT count(*) FROM call_outcomes o
		JOIN dealers d ON d.id = o.dealer_id
		WHERE o.dealer_id = $1 AND o.created_at >= ($2::date::timestamp AT TIME ZONE d.time_zone)
		  AND o.created_at < (($3::date + 1)::timestamp AT TIME ZONE d.time_zone)
		  AND o.code IN (SELECT oc.code FROM outcome_codes oc WHERE oc.reached AND (oc.dealer_id = $1 OR oc.dealer_id IS NULL))`,
		dealerID, from, to).Scan(&n))
	return n
}

// requireRollupsMatch checks that the roll-up tables hold exactly what summing the raw
// rows gives (no row missing, none extra, none with a count of 0), and that every figure
// of both dealers over several periods equals the raw computation.
func requireRollupsMatch(t *testing.T, db *pgxpool.Pool, dealers []int64, step string) {
	t.Helper()
	ctx := context.Background()
	var diff int64
	require.NoError(t, db.QueryRow(ctx, `
		WITH raw AS (
		    SELECT s.dealer_id, s.day, k.dim, k.key, count(*) AS n, sum(s.score) AS sum, count(*) FILTER (WHERE s.score >= 4) AS high
		    FROM call_scores s
		    CROSS JOIN LATERAL (VALUES ('advisor', s.advisor), ('agent', COALESCE(s.agent_user_id, 0)::text), ('campaign', s.campaign)) k (dim, key)
		    GROUP BY 1, 2, 3, 4),
		kept AS (SELECT dealer_id, day, dim, key, n, sum, high FROM call_score_days),
		oraw AS (SELECT o.dealer_id, (o.created_at AT TIME ZONE d.time_zone)::date AS day, o.code, count(*) AS n
		         FROM call_outcomes o JOIN dealers d ON d.id = o.dealer_id GROUP BY 1, 2, 3),
		okept AS (SELECT dealer_id, day, code, n FROM call_outcome_days)
		SELECT (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM kept) a) + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM raw) b)
		     + (SELECT count(*) FROM (SELECT * FROM oraw EXCEPT SELECT * FROM okept) c) + (SELECT count(*) FROM (SELECT * FROM okept EXCEPT SELECT * FROM oraw) e)`).Scan(&diff))
	require.Zero(t, diff, "%s: roll-up rows differ from the raw rows", step)
	periods := [][2]string{{"2026-11-01", "2026-11-30"}, {"2026-11-20", "2026-11-24"}, {"2026-11-23", "2026-11-23"},
		{"2026-10-01", "2026-12-31"}, {"2026-11-25", "2026-12-02"}, {"2025-01-01", "2025-01-31"}}
	for _, d := range dealers {
		for _, p := range periods {
			from, to := day(p[0]), day(p[1])
			got, err := Satisfaction(ctx, db, d, from, to)
			require.NoError(t, err)
			require.Equal(t, rawSatisfaction(t, db, d, from, to), got, "%s: dealer %d, %s..%s", step, d, p[0], p[1])
			// Every figure opens its scores: as many as it counts, as many 4-5 as its share's.
			for by, rows := range got {
				for _, r := range rows {
					calls, err := SatisfactionCalls(ctx, db, d, from, to, by, r.Key, r.Total, false, 1000)
					require.NoError(t, err)
					high, err := SatisfactionCalls(ctx, db, d, from, to, by, r.Key, r.Total, true, 1000)
					require.NoError(t, err)
					require.Equal(t, [2]int64{r.N, r.High}, [2]int64{int64(len(calls)), int64(len(high))}, "%s: %s %q's calls", step, by, r.Key)
				}
			}
			figs, err := ComplaintFigures(ctx, db, d, from, to, day("2026-12-01"))
			require.NoError(t, err)
			require.Equal(t, rawReached(t, db, d, from, to), figs[ByCategory][0].Reached, "%s: dealer %d reached, %s..%s", step, d, p[0], p[1])
		}
	}
}

// TestFigureDaysEqualRawFigures: the satisfaction figures and the reached calls read from
// the daily roll-ups equal the raw computation after each kind of change: outcomes with
// scores saved through RecordOutcome by two agents on two campaigns, one undone (its
// scores go with it) and the call scored again, a later outcome scoring the same customer,
// scores changed and moved to no agent, a score added and removed in one transaction, a
// customer deleted, an outcome's code changed, and a second dealer in another time zone
// whose zone then changes (its outcomes near midnight move day).
func TestFigureDaysEqualRawFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 2)
	a1, a2 := b.agents[0], b.agents[1]
	var d2, d2agent int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO dealers (code, name, time_zone) VALUES ('D2', '第二家', 'Asia/Tokyo') RETURNING id`).Scan(&d2))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO users (dealer_id, username, display_name, role, password_hash)
		VALUES ($1, 'd2agent', '', 'agent', 'x') RETURNING id`, d2).Scan(&d2agent))
	dealers := []int64{b.dealer, d2}
	requireRollupsMatch(t, b.db, dealers, "empty")

	// save records an answered call of task by agent at the local time at and the outcome
	// with the given scores; it returns the client id.
	n := 0
	save := func(task, agent int64, at, code string, scores map[string]int) string {
		t.Helper()
		n++
		when := b.at(t, at)
		var attempt int64
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_attempts (dealer_id, task_id, agent_user_id, call_id, to_number, invite_at, answer_at, end_at, outcome)
			SELECT t.dealer_id, t.id, $2, 'fd-' || $3::int, c.phone, $4, $4, $4, $5
			FROM call_tasks t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1 RETURNING id`,
			task, agent, n, when, CallAnswered).Scan(&attempt))
		answers := map[string]any{}
		for q, s := range scores {
			answers[q] = score(s)
		}
		raw, err := json.Marshal(answers)
		require.NoError(t, err)
		id := fmt.Sprintf("fd-%d", n)
		cb := b.at(t, "2026-12-10 10:00")
		_, err = RecordOutcome(ctx, b.db, OutcomeParams{DealerID: b.dealer, ClientID: id, TaskID: task, AgentUserID: agent, Code: code,
			AttemptID: attempt, Answers: raw, CallbackAt: &cb, AppointmentAt: &cb, Now: when})
		require.NoError(t, err)
		return id
	}
	var tasks []int64
	for i, c := range []string{"post_service", "care_15day", "post_service", "care_15day", "post_service", "lapsed_6m"} {
		id := b.addTask(t, taskOpts{phone: fmt.Sprintf("1390000%04d", 700+i), campaigns: []string{c}, due: "2026-11-01", exp: "2026-12-31"})
		tasks = append(tasks, id)
	}
	for i, task := range tasks[:4] {
		c := b.customerOf(t, task)
		v := b.vehicleFor(t, c, fmt.Sprintf("LFV0000000000%04d", i), "2025-01-01")
		_, err := b.db.Exec(ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, advisor) VALUES ($1, $2, $3, '2026-11-01', 'maintenance', $4)`,
			b.dealer, v, c, []string{"王顾问", "李顾问"}[i%2])
		require.NoError(t, err)
	}
	save(tasks[0], a1, "2026-11-20 10:00", "reached", map[string]int{"satisfaction": 5, "service": 4})
	save(tasks[1], a2, "2026-11-20 23:59", "reached", map[string]int{"satisfaction": 2})
	save(tasks[2], a1, "2026-11-21 00:01", "appointment", map[string]int{"satisfaction": 3})
	save(tasks[3], a2, "2026-11-22 09:00", "callback", nil)
	save(tasks[4], a1, "2026-11-23 09:00", "wrong_number", nil)
	requireRollupsMatch(t, b.db, dealers, "saved")

	// Undone within the undo window: the outcome and its scores go, then it is scored again.
	undone := save(tasks[5], a2, "2026-11-23 11:00", "reached", map[string]int{"satisfaction": 1, "service": 5})
	requireRollupsMatch(t, b.db, dealers, "before the undo")
	_, err := UndoOutcome(ctx, b.db, UndoParams{DealerID: b.dealer, AgentUserID: a2, ClientID: undone, Now: b.at(t, "2026-11-23 11:00").Add(10 * time.Second)})
	require.NoError(t, err)
	requireRollupsMatch(t, b.db, dealers, "undone")
	save(tasks[5], a2, "2026-11-23 11:01", "reached", map[string]int{"satisfaction": 4})
	requireRollupsMatch(t, b.db, dealers, "scored again")
	// The callback's later call scores the same customer on another day.
	save(tasks[3], a1, "2026-11-24 10:00", "reached", map[string]int{"satisfaction": 5})
	requireRollupsMatch(t, b.db, dealers, "a later outcome")

	// Scores changed, moved to no agent, one added and removed in one transaction.
	_, err = b.db.Exec(ctx, `UPDATE call_scores SET score = 1 WHERE question = 'service'`)
	require.NoError(t, err)
	_, err = b.db.Exec(ctx, `UPDATE call_scores SET agent_user_id = NULL, advisor = '张顾问' WHERE score = 2`)
	require.NoError(t, err)
	requireRollupsMatch(t, b.db, dealers, "updated")
	tx, err := b.db.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO call_scores (outcome_id, question, dealer_id, customer_id, agent_user_id, campaign, advisor, day, score)
		SELECT id, 'extra', dealer_id, (SELECT customer_id FROM call_tasks WHERE id = task_id), agent_user_id, 'birthday', '赵顾问', '2026-11-30', 5
		FROM call_outcomes WHERE code = 'appointment'`)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `DELETE FROM call_scores WHERE question = 'extra'`)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	requireRollupsMatch(t, b.db, dealers, "added and removed")

	// The second dealer: outcomes and scores around its local midnight, then another zone.
	var cust2, task2 int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '客户二', '13900009999') RETURNING id`, d2).Scan(&cust2))
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		VALUES ($1, $2, 50, '2026-11-01', '2026-12-31', '{recall}') RETURNING id`, d2, cust2).Scan(&task2))
	for i, at := range []string{"2026-11-22T14:30:00Z", "2026-11-22T15:30:00Z", "2026-11-23T14:59:00Z", "2026-11-30T16:00:00Z"} {
		var o int64
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, agent_user_id, code, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, d2, fmt.Sprintf("d2-%d", i), task2, d2agent, []string{"reached", "appointment", "refused", "reached"}[i], at).Scan(&o))
		_, err = b.db.Exec(ctx, `INSERT INTO call_scores (outcome_id, question, dealer_id, customer_id, agent_user_id, campaign, advisor, day, score)
			VALUES ($1, 'satisfaction', $2, $3, $4, 'recall', '', (($5::timestamptz) AT TIME ZONE 'Asia/Tokyo')::date, $6)`, o, d2, cust2, d2agent, at, 1+i)
		require.NoError(t, err)
	}
	requireRollupsMatch(t, b.db, dealers, "second dealer")
	_, err = b.db.Exec(ctx, `UPDATE dealers SET time_zone = 'America/New_York' WHERE id = $1`, d2)
	require.NoError(t, err)
	requireRollupsMatch(t, b.db, dealers, "time zone changed")
	_, err = b.db.Exec(ctx, `UPDATE call_outcomes SET code = 'busy' WHERE client_id = 'd2-0'`)
	require.NoError(t, err)
	requireRollupsMatch(t, b.db, dealers, "code changed")
	_, err = b.db.Exec(ctx, `DELETE FROM call_outcomes WHERE client_id = 'd2-1'`)
	require.NoError(t, err)
	requireRollupsMatch(t, b.db, dealers, "outcome deleted")
	var kept int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM call_score_days WHERE n <= 0`).Scan(&kept))
	require.Zero(t, kept, "no row with a count of 0 or less")
}
