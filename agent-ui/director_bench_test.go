package agentui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// benchCalls is how many call records BenchmarkDirectorCallSearch generates.
const benchCalls = 10_000_000

// benchDirectorDB returns a pool on a database of its own (huifang_bench_director on the
// test server) holding benchCalls call records over 5 dealers, 100 agents, 1,000,000
// customers and tasks, and an outcome for every third call, made with generate_series.
// The data is kept between runs (made again when the count differs); drop the database
// to start over.
func benchDirectorDB(b *testing.B) *pgxpool.Pool {
	ctx := context.Background()
	u, err := url.Parse(storetest.URL())
	require.NoError(b, err)
	u.Path = "/huifang_bench_director"
	open := func() *pgxpool.Pool {
		require.NoError(b, store.CreateDatabase(ctx, u.String()))
		pool, err := pgxpool.New(ctx, u.String())
		require.NoError(b, err)
		_, err = store.Migrate(ctx, pool)
		require.NoError(b, err)
		return pool
	}
	pool := open()
	var n int64
	require.NoError(b, pool.QueryRow(ctx, `SELECT count(*) FROM call_attempts`).Scan(&n))
	if n == benchCalls {
		b.Cleanup(pool.Close)
		return pool
	}
	// Start from a freshly migrated database.
	pool.Close()
	admin := *u
	admin.Path = "/postgres"
	aconn, err := pgx.Connect(ctx, admin.String())
	require.NoError(b, err)
	_, err = aconn.Exec(ctx, `DROP DATABASE IF EXISTS huifang_bench_director WITH (FORCE)`)
	require.NoError(b, err)
	require.NoError(b, aconn.Close(ctx))
	pool = open()
	b.Cleanup(pool.Close)
	start := time.Now()
	conn, err := pool.Acquire(ctx)
	require.NoError(b, err)
	defer conn.Release()
	exec := func(sql string, args ...any) {
		t0 := time.Now()
		_, err := conn.Exec(ctx, sql, args...)
		require.NoError(b, err, sql)
		w := strings.Fields(sql)
		b.Logf("%.1fs %s", time.Since(t0).Seconds(), strings.Join(w[:min(4, len(w))], " "))
	}
	// The foreign keys are not checked while generating (their triggers are off); the
	// secondary indexes of the big tables are built once at the end, sorted.
	exec(`SET session_replication_role = replica`)
	exec(`SET maintenance_work_mem = '256MB'`)
	var defs []string
	rows, err := conn.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
		AND tablename IN ('call_attempts', 'call_outcomes', 'customers', 'call_tasks') AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = indexname)`)
	require.NoError(b, err)
	var names []string
	for rows.Next() {
		var name, def string
		require.NoError(b, rows.Scan(&name, &def))
		names, defs = append(names, name), append(defs, def)
	}
	require.NoError(b, rows.Err())
	for _, name := range names {
		exec(`DROP INDEX IF EXISTS ` + name)
	}
	exec(`ALTER TABLE call_attempts DROP CONSTRAINT IF EXISTS call_attempts_call_id_key`)
	exec(`INSERT INTO dealers (code, name) SELECT 'B' || i, 'Bench ' || i FROM generate_series(1, 5) i`)
	exec(`INSERT INTO users (dealer_id, username, display_name, role, password_hash)
		SELECT 1 + (i % 5), 'agent' || i, '坐席' || i, 'agent', 'x' FROM generate_series(0, 99) i`)
	exec(`INSERT INTO customers (dealer_id, name, title, phone)
		SELECT 1 + (i % 5), '客户' || i, '先生', (13000000000 + i)::text FROM generate_series(0, 999999) i`)
	exec(`INSERT INTO call_tasks (dealer_id, customer_id, status, priority, due_day, expires_day, campaigns)
		SELECT 1 + (i % 5), i + 1, 'done', 50, '2026-01-01', '2026-12-31',
		       ARRAY[(ARRAY['first_maintenance','maintenance','care_15day','lapsed_6m','insurance','same_day_visit','recall','warranty'])[1 + (i % 8)]]
		FROM generate_series(0, 999999) i`)
	// Call i belongs to dealer 1 + i%5: a customer and an agent of that dealer, a moment in
	// the last 365 days, answered 60 % of the time with 0-300 s of talk and a recording.
	for part := range 10 {
		exec(`INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, call_id, to_number, invite_at,
		          answer_at, end_at, sip_status, outcome, recording_path)
		SELECT d, c, c, 1 + d - 1 + 5 * ((i / 5) % 20), 'b' || i, '13000000000', at,
		       CASE WHEN ans THEN at + interval '6 seconds' END,
		       CASE WHEN ans THEN at + interval '6 seconds' + (i % 301) * interval '1 second' ELSE at + interval '30 seconds' END,
		       CASE WHEN ans THEN 200 WHEN i % 10 = 6 THEN 486 WHEN i % 10 = 7 THEN 480 ELSE 404 END,
		       CASE WHEN ans THEN 'answered' ELSE 'no_answer' END,
		       CASE WHEN ans THEN '/var/lib/huifang/recordings/b' || i || '.wav' ELSE '' END
		FROM (SELECT i, 1 + (i % 5) AS d,
		             1 + (i % 5) + 5 * ((hashint8(i) & 2147483647) % 200000) AS c,
		             $1::timestamptz - ((hashint8(i + 7) & 2147483647) % 31536000) * interval '1 second' AS at,
		             (i % 10) < 6 AS ans
		      FROM generate_series($2::bigint, $3::bigint) i) s`, benchNow, part*benchCalls/10, (part+1)*benchCalls/10-1)
	}
	exec(`INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, agent_user_id, code, created_at)
		SELECT dealer_id, 'o' || id, task_id, id, agent_user_id,
		       (ARRAY['reached','appointment','callback','refused','reached','no_answer','busy'])[1 + (id % 7)], end_at
		FROM call_attempts WHERE id % 3 = 0`)
	for _, def := range defs {
		exec(def)
	}
	exec(`ALTER TABLE call_attempts ADD CONSTRAINT call_attempts_call_id_key UNIQUE (call_id)`)
	exec(`RESET session_replication_role`)
	exec(`VACUUM ANALYZE`)
	b.Logf("generated %d call records in %s", benchCalls, time.Since(start).Round(time.Second))
	return pool
}

// benchNow is the generated data's "now".
var benchNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// BenchmarkDirectorCallSearch runs the record search's common filters on 10,000,000
// generated records and reports each filter's p95 and the p95 over all of them. It is
// not run in CI: it needs HUIFANG_BENCH_DIRECTOR=1 (generating the data takes minutes).
func BenchmarkDirectorCallSearch(b *testing.B) {
	if os.Getenv("HUIFANG_BENCH_DIRECTOR") == "" {
		b.Skip("set HUIFANG_BENCH_DIRECTOR=1 to generate 10,000,000 records and run it")
	}
	pool := benchDirectorDB(b)
	ctx := context.Background()
	q := store.New(customPlans{pool})
	type search struct {
		p        store.DirectorListCallsParams
		customer *string
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	str := func(v string) *string { return &v }
	day := 24 * time.Hour
	base := func(dealer int64, days int) store.DirectorListCallsParams {
		to := benchNow.Truncate(day).Add(day)
		return store.DirectorListCallsParams{DealerID: i64(dealer), FromAt: to.Add(-time.Duration(days) * day), ToAt: to,
			CursorAt: to, CursorID: 1 << 62, MaxRows: callsPageSize + 1, WithUncalled: true} // as the records page asks
	}
	filters := []struct {
		name string
		make func() search
	}{
		{"7 days", func() search { return search{p: base(1+rnd.Int64N(5), 7)} }},
		{"yesterday, one agent", func() search {
			d := 1 + rnd.Int64N(5)
			p := base(d, 1)
			p.AgentID = i64(d + 5*rnd.Int64N(20))
			return search{p: p}
		}},
		{"30 days, one agent", func() search {
			d := 1 + rnd.Int64N(5)
			p := base(d, 30)
			p.AgentID = i64(d + 5*rnd.Int64N(20))
			return search{p: p}
		}},
		{"30 days, outcome appointment", func() search {
			p := base(1+rnd.Int64N(5), 30)
			p.Outcome = str("appointment")
			return search{p: p}
		}},
		{"30 days, campaign recall", func() search {
			p := base(1+rnd.Int64N(5), 30)
			p.Campaign = str("recall")
			return search{p: p}
		}},
		{"30 days, SIP 486", func() search {
			p := base(1+rnd.Int64N(5), 30)
			p.SipStatus = i32(486)
			return search{p: p}
		}},
		{"30 days, talk >= 240 s", func() search {
			p := base(1+rnd.Int64N(5), 30)
			p.MinSecs = i32(240)
			return search{p: p}
		}},
		{"365 days, customer by name", func() search {
			i := rnd.Int64N(1_000_000)
			return search{base(1+i%5, 365), str(fmt.Sprintf("客户%d", i))}
		}},
		{"365 days, customer by phone", func() search {
			i := rnd.Int64N(1_000_000)
			return search{base(1+i%5, 365), str(fmt.Sprint(13000000000 + i))}
		}},
		{"7 days, page 3", func() search {
			p := base(1+rnd.Int64N(5), 7)
			for range 2 {
				rows, err := q.DirectorListCalls(ctx, p)
				require.NoError(b, err)
				last := rows[len(rows)-2]
				p.CursorAt, p.CursorID = last.InviteAt, last.ID
			}
			return search{p: p}
		}},
	}
	const runs = 40
	var all []time.Duration
	b.ResetTimer()
	for range b.N {
		for _, f := range filters {
			var ds []time.Duration
			for range runs {
				s := f.make()
				t0 := time.Now()
				_, err := searchCalls(ctx, pool, s.p, s.customer)
				ds = append(ds, time.Since(t0))
				require.NoError(b, err)
			}
			slices.Sort(ds)
			all = append(all, ds...)
			b.Logf("%-30s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms", f.name, msOf(ds[len(ds)/2]), msOf(ds[len(ds)*95/100]), msOf(ds[len(ds)-1]))
		}
	}
	slices.Sort(all)
	p95 := all[len(all)*95/100]
	b.ReportMetric(msOf(p95), "p95-ms")
	b.Logf("all filters: %d searches, p95 %.1f ms (goal <= 100 ms)", len(all), msOf(p95))
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
