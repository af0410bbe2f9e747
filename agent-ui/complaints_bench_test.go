package agentui

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

// benchFiguresDB is the call records benchmark's database (benchDirectorDB, 10,000,000
// calls) with what the satisfaction and complaint pages read: a 1-5 score for every
// outcome that reached the customer (about 1,430,000, 10 service advisors) and a
// complaint for one reached outcome in 100 (about 14,300; open, responded, resolved,
// closed and reopened ones, some serious), made once and kept.
func benchFiguresDB(b *testing.B) *pgxpool.Pool {
	pool := benchDirectorDB(b)
	ctx := context.Background()
	var n int64
	require.NoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM call_scores`).Scan(&n))
	if n > 0 {
		return pool
	}
	start := time.Now()
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	// The roll-ups of the figures (migration 0250) are computed once at the end, not by
	// their triggers row by row (off while generating, like the foreign keys).
	for _, sql := range []string{
		`SET session_replication_role = replica`,
		`INSERT INTO users (dealer_id, username, display_name, role, password_hash)
		 SELECT d, 'director' || d, '服务总监' || d, 'director', 'x' FROM generate_series(1, 5) d ON CONFLICT DO NOTHING`,
		`INSERT INTO call_scores (outcome_id, question, dealer_id, attempt_id, customer_id, agent_user_id, campaign, advisor, day, score)
		 SELECT o.id, 'satisfaction', o.dealer_id, o.attempt_id, t.customer_id, o.agent_user_id, t.campaigns[1],
		        '顾问' || (o.id % 10), (o.created_at AT TIME ZONE 'Asia/Shanghai')::date,
		        (ARRAY[5,5,5,4,4,4,3,2,1,5])[1 + (hashint8(o.id) & 2147483647) % 10]
		 FROM call_outcomes o JOIN call_tasks t ON t.id = o.task_id WHERE o.code IN ('reached', 'appointment')`,
		`INSERT INTO complaints (dealer_id, customer_id, opened_on, opened_at, category, description, status, severity, source,
		        owner_user_id, outcome_id, attempt_id, respond_due, resolve_due, responded_at, resolved_at, closed_on, closed_at, reopened,
		        told_open_at, told_respond_overdue_at, told_resolve_overdue_at)
		 SELECT s.dealer_id, s.customer_id, (s.at AT TIME ZONE 'Asia/Shanghai')::date, s.at,
		        (ARRAY['service_quality','repair_quality','price','waiting_time','parts','attitude','sales','other'])[1 + s.outcome_id % 8],
		        '客户反映 ' || s.outcome_id, st, CASE WHEN s.outcome_id % 7 = 0 THEN 'serious' ELSE 'normal' END, 'call',
		        (SELECT u.id FROM users u WHERE u.dealer_id = s.dealer_id AND u.role = 'director' LIMIT 1), s.outcome_id, s.attempt_id,
		        s.at + interval '24 hours', s.at + interval '72 hours',
		        CASE WHEN st <> 'open' THEN s.at + (s.outcome_id % 40) * interval '1 hour' END,
		        CASE WHEN st IN ('resolved', 'closed') THEN s.at + (s.outcome_id % 90) * interval '1 hour' END,
		        CASE WHEN st IN ('resolved', 'closed') THEN ((s.at + (s.outcome_id % 90) * interval '1 hour') AT TIME ZONE 'Asia/Shanghai')::date END,
		        CASE WHEN st = 'closed' THEN s.at + interval '5 days' END, (s.outcome_id % 13 = 0)::int, s.at, s.at, s.at
		 FROM (SELECT c.*, o.created_at AS at,
		              CASE WHEN o.created_at > $1::timestamptz - interval '5 days' THEN (ARRAY['open','responded'])[1 + c.outcome_id % 2]
		                   ELSE (ARRAY['closed','closed','closed','resolved','open'])[1 + c.outcome_id % 5] END AS st
		       FROM call_scores c JOIN call_outcomes o ON o.id = c.outcome_id WHERE c.outcome_id % 100 = 0) s
		 ON CONFLICT DO NOTHING`,
		`RESET session_replication_role`,
		`SELECT figure_days_rebuild(NULL)`,
		`VACUUM ANALYZE call_scores`, `VACUUM ANALYZE complaints`, `VACUUM ANALYZE call_outcomes`,
		`VACUUM ANALYZE call_score_days`, `VACUUM ANALYZE call_outcome_days`,
	} {
		t0 := time.Now()
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, benchNow)
		}
		_, err := conn.Exec(ctx, sql, args...)
		require.NoError(b, err, sql)
		b.Logf("%.1fs %.40s", time.Since(t0).Seconds(), sql)
	}
	b.Logf("generated the scores and complaints in %s", time.Since(start).Round(time.Second))
	return pool
}

// BenchmarkSatisfactionAndComplaintPages reads what the satisfaction page (every
// satisfaction and complaint figure over 30 days, as the page asks them), one figure's
// calls, and the complaints page (the active list; all states over 30 days) read, on the
// 10,000,000-call data set, and reports each page's p95 and the p95 over all of them.
// Like BenchmarkDirectorCallSearch it needs HUIFANG_BENCH_DIRECTOR=1.
func BenchmarkSatisfactionAndComplaintPages(b *testing.B) {
	if os.Getenv("HUIFANG_BENCH_DIRECTOR") == "" {
		b.Skip("set HUIFANG_BENCH_DIRECTOR=1 to generate 10,000,000 records and run it")
	}
	pool := benchFiguresDB(b)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(3, 4))
	// The generated complaints fall on few dealers (outcome ids that are multiples of 100):
	// the complaints pages are also read for the dealer with the most.
	var busiest int64
	require.NoError(b, pool.QueryRow(ctx, `SELECT dealer_id FROM complaints GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&busiest))
	day := 24 * time.Hour
	to := benchNow.Truncate(day)
	from := to.Add(-29 * day)
	pages := []struct {
		name string
		run  func(dealer int64) error
	}{
		{"satisfaction page, 30 days", func(d int64) error {
			if _, err := queue.Satisfaction(ctx, pool, d, from, to); err != nil {
				return err
			}
			_, err := queue.ComplaintFigures(ctx, pool, d, from, to, benchNow)
			return err
		}},
		{"satisfaction page, 365 days", func(d int64) error {
			if _, err := queue.Satisfaction(ctx, pool, d, to.Add(-364*day), to); err != nil {
				return err
			}
			_, err := queue.ComplaintFigures(ctx, pool, d, to.Add(-364*day), to, benchNow)
			return err
		}},
		{"one figure's calls (an agent, 30 days)", func(d int64) error {
			_, err := queue.SatisfactionCalls(ctx, pool, d, from, to, queue.ByAgent, strconv.FormatInt(d, 10), false, false, 500)
			return err
		}},
		{"complaints page, active", func(d int64) error {
			_, err := queue.ListComplaints(ctx, pool, queue.ComplaintFilter{DealerID: d, Status: "active", Now: benchNow})
			return err
		}},
		{"complaints page, all, 30 days", func(d int64) error {
			_, err := queue.ListComplaints(ctx, pool, queue.ComplaintFilter{DealerID: d, Now: benchNow, From: from, To: to})
			return err
		}},
		{"complaints page, all, 30 days, busiest", func(int64) error {
			_, err := queue.ListComplaints(ctx, pool, queue.ComplaintFilter{DealerID: busiest, Now: benchNow, From: from, To: to})
			return err
		}},
		{"complaints page, active, busiest", func(int64) error {
			_, err := queue.ListComplaints(ctx, pool, queue.ComplaintFilter{DealerID: busiest, Status: "active", Now: benchNow})
			return err
		}},
		{"satisfaction page, 30 days, busiest", func(int64) error {
			if _, err := queue.Satisfaction(ctx, pool, busiest, from, to); err != nil {
				return err
			}
			_, err := queue.ComplaintFigures(ctx, pool, busiest, from, to, benchNow)
			return err
		}},
		{"low-score list", func(d int64) error {
			_, err := queue.LowScores(ctx, pool, d, false, 200)
			return err
		}},
	}
	const runs = 100
	var all []time.Duration
	b.ResetTimer()
	for range b.N {
		for _, p := range pages {
			var ds []time.Duration
			for range runs {
				t0 := time.Now()
				require.NoError(b, p.run(1+rnd.Int64N(5)), p.name)
				ds = append(ds, time.Since(t0))
			}
			slices.Sort(ds)
			all = append(all, ds...)
			b.Logf("%-42s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms", p.name, msOf(ds[len(ds)/2]), msOf(ds[len(ds)*95/100]), msOf(ds[len(ds)-1]))
		}
	}
	slices.Sort(all)
	p95 := all[len(all)*95/100]
	b.ReportMetric(msOf(p95), "p95-ms")
	b.Logf("all pages: %d reads, p95 %.1f ms (goal <= 100 ms)", len(all), msOf(p95))
}
