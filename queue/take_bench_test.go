package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// The take benchmarks share one queue: 20,000 open tasks over five priorities, each with
// a reason, in the dealer's calling window, and 200 agents on a pool of their own (as the
// console's would be). Each reports p50/p99/max of a single Take in ms. They are not run
// in CI; run them with
//
//	go test ./queue -run '^$' -bench 'Take' -benchtime 20x
//
// and see BENCH_TAKE.md for figures.

// BenchmarkTake200AgentsAtOnce is the worst case: each iteration releases all 200 agents
// at the same instant (the window opens at 09:00); each takes one task, then the round's
// tasks are closed (not timed).
func BenchmarkTake200AgentsAtOnce(b *testing.B) {
	for _, conns := range []int32{4, 20} {
		b.Run(fmt.Sprintf("pool=%d", conns), func(b *testing.B) { benchTake(b, "burst", conns) })
	}
}

// BenchmarkTake200AgentsSteady has the 200 agents working side by side: each takes a
// task, closes it, and waits a random 0-2 s before the next take (200 takes a second
// offered, some hundred times a real call center's rate). b.N takes per agent.
func BenchmarkTake200AgentsSteady(b *testing.B) {
	benchTake(b, "steady", 20)
}

// BenchmarkTakeSequential has the 200 agents take one after the other: the cost of one
// Take without any contention.
func BenchmarkTakeSequential(b *testing.B) {
	benchTake(b, "sequential", 4)
}

func benchTake(b *testing.B, mode string, conns int32) {
	const agents, tasks = 200, 20000
	if b.N*agents > tasks {
		b.Fatalf("at most %d iterations", tasks/agents)
	}
	w := newWorkBundle(b, agents)
	ctx := context.Background()
	_, err := w.db.Exec(ctx, `
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
	var schema string
	require.NoError(b, w.db.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema))
	pool, err := store.Open(ctx, store.Config{URL: storetest.URL(), SearchPath: schema, MaxConns: conns})
	require.NoError(b, err)
	defer pool.Close()
	now := w.at(b, "2026-11-23 10:00")

	var (
		mu  sync.Mutex
		lat = make([]time.Duration, 0, b.N*agents)
	)
	take := func(i int) int64 {
		t0 := time.Now()
		tk, err := Take(ctx, pool, TakeParams{DealerID: w.dealer, AgentUserID: w.agents[i], Now: now})
		d := time.Since(t0)
		if err != nil {
			b.Error(err)
			return 0
		}
		mu.Lock()
		lat = append(lat, d)
		mu.Unlock()
		return tk.ID
	}
	closeTasks := func(db *pgxpool.Pool, ids []int64) {
		_, err := db.Exec(ctx, `UPDATE call_tasks SET status = 'done', taken_by = NULL WHERE id = ANY ($1)`, ids)
		if err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	switch mode {
	case "burst", "sequential":
		for range b.N {
			taken := make([]int64, agents)
			if mode == "burst" {
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range agents {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						taken[i] = take(i)
					}()
				}
				close(start)
				wg.Wait()
			} else {
				for i := range agents {
					taken[i] = take(i)
				}
			}
			b.StopTimer()
			closeTasks(w.db, taken)
			b.StartTimer()
		}
	case "steady":
		var wg sync.WaitGroup
		for i := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range b.N {
					time.Sleep(rand.N(2 * time.Second))
					if id := take(i); id != 0 {
						closeTasks(pool, []int64{id})
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p50, p99, worst := ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1])
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(worst, "max-ms")
	b.Logf("%s: %d takes by %d agents, pool %d: p50 %.2f ms, p99 %.2f ms, max %.2f ms", mode, len(lat), agents, conns, p50, p99, worst)
}
