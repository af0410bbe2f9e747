package queue

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// BenchmarkTake200Agents measures Take when 200 agents take at once: each round releases
// all 200 agents together, each takes one task (timed) and then closes it (not timed).
// One benchmark iteration is one round; run it with
//
//	go test ./queue -run '^$' -bench Take200 -benchtime 50x
//
// It reports p50/p99/max of a single Take in ms. The queue holds 20,000 open tasks over
// five priorities with reasons, in the dealer's calling window. Figures: BENCH_TAKE.md.
func BenchmarkTake200Agents(b *testing.B) {
	for _, conns := range []int32{1, 4, 20} {
		b.Run(fmt.Sprintf("pool=%d", conns), func(b *testing.B) { benchTake(b, 200, true, conns) })
	}
}

// BenchmarkTakeSequential is the same queue with the 200 agents taking one after the
// other: the cost of one Take without contention.
func BenchmarkTakeSequential(b *testing.B) {
	benchTake(b, 200, false, 4)
}

func benchTake(b *testing.B, agents int, atOnce bool, conns int32) {
	const tasks = 20000
	w := newWorkBundle(b, agents)
	ctx := context.Background()
	// The pool the agents share, as the console's would be.
	var schema string
	require.NoError(b, w.db.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	pc, err := pgxpool.ParseConfig(storetest.URL())
	require.NoError(b, err)
	pc.MaxConns = conns
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	if os.Getenv("GENERIC") != "" {
		pc.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	require.NoError(b, err)
	defer pool.Close()
	_, err = w.db.Exec(ctx, `
		WITH c AS (
			INSERT INTO customers (dealer_id, name, phone)
			SELECT $1, '客户' || g, '139' || lpad(g::text, 8, '0') FROM generate_series(1, $2) g
			RETURNING id
		), t AS (
			INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
			SELECT $1, id, 20 * (1 + id % 5), DATE '2026-11-20' + (id % 3)::int, DATE '2026-11-30', '{maintenance}' FROM c
			RETURNING id, customer_id, priority, due_day, expires_day
		)
		INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority, due_day, expires_day, text)
		SELECT $1, id, customer_id, 'maintenance', 'b' || id, priority, due_day, expires_day, '保养到期' FROM t`, w.dealer, tasks)
	require.NoError(b, err)
	_, err = w.db.Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	now := w.at(b, "2026-11-23 10:00")
	if b.N*agents > tasks {
		b.Fatalf("at most %d rounds", tasks/agents)
	}

	lat := make([]time.Duration, 0, b.N*agents)
	var mu sync.Mutex
	b.ResetTimer()
	for round := 0; round < b.N; round++ {
		taken := make([]int64, agents)
		takeOne := func(i int) {
			t0 := time.Now()
			tk, err := Take(ctx, pool, TakeParams{DealerID: w.dealer, AgentUserID: w.agents[i], Now: now})
			d := time.Since(t0)
			if err != nil {
				b.Error(err)
				return
			}
			taken[i] = tk.ID
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
		if atOnce {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range w.agents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					takeOne(i)
				}()
			}
			close(start)
			wg.Wait()
		} else {
			for i := range w.agents {
				takeOne(i)
			}
		}
		b.StopTimer()
		_, err := w.db.Exec(ctx, `UPDATE call_tasks SET status = 'done', taken_by = NULL WHERE id = ANY ($1)`, taken)
		require.NoError(b, err)
		b.StartTimer()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.Logf("%d takes by %d agents (at once: %v): p50 %.2f ms, p99 %.2f ms, max %.2f ms (pool %d conns)",
		len(lat), agents, atOnce, pct(0.50), pct(0.99), float64(lat[len(lat)-1].Microseconds())/1000, conns)
}
