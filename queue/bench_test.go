package queue

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// BenchmarkQueueBuild generates HUIFANG_BENCH_CUSTOMERS customers (default 1,000,000)
// with histories, builds every campaign as of one day, times a bare INSERT ... SELECT of
// the same number of rows into tables of the same shape, then rebuilds the same day.
// HUIFANG_BENCH_PROFILE=1 then builds and rebuilds once more statement by statement and
// logs the slowest steps.
// Run it alone, once: go test ./queue -run '^$' -bench QueueBuild -benchtime 1x -timeout 30m
func BenchmarkQueueBuild(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("HUIFANG_BENCH_CUSTOMERS"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err, "HUIFANG_BENCH_CUSTOMERS")
	}
	ctx := context.Background()
	db := storetest.New(b)
	day := mustDay("2026-03-05")
	var dealer int64
	require.NoError(b, db.QueryRow(ctx, `INSERT INTO dealers (code, name) VALUES ('BENCH', '基准店') RETURNING id`).Scan(&dealer))

	src, err := os.ReadFile("testdata/bench_data.sql")
	require.NoError(b, err)
	start := time.Now()
	for _, stmt := range strings.Split(string(src), ";\n") {
		if hasCode(stmt) {
			_, err := db.Exec(ctx, stmt, pgx.NamedArgs{"dealer": dealer, "day": day, "n": n})
			require.NoError(b, err, stmt)
		}
	}
	_, err = db.Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	var vehicles, visits int64
	require.NoError(b, db.QueryRow(ctx, `SELECT (SELECT count(*) FROM vehicles), (SELECT count(*) FROM workshop_visits)`).Scan(&vehicles, &visits))
	b.Logf("generated %d customers, %d vehicles, %d workshop visits in %s", n, vehicles, visits, time.Since(start).Round(time.Millisecond))

	// One connection for the build, the bare insert and the rebuild, so that the CPU time
	// of its Postgres backend can be read: on a shared machine the wall clock of each
	// phase depends on the load, the backend's CPU time much less.
	cfg := db.Config()
	cfg.MaxConns = 1
	one, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(b, err)
	defer one.Close()
	var pid int
	require.NoError(b, one.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_, err := db.Exec(ctx, `DELETE FROM call_tasks WHERE dealer_id = $1`, dealer)
		require.NoError(b, err)
		_, err = db.Exec(ctx, `DROP TABLE IF EXISTS bare_tasks, bare_reasons`)
		require.NoError(b, err)
		_, err = db.Exec(ctx, `VACUUM ANALYZE call_tasks`)
		require.NoError(b, err)
		_, err = db.Exec(ctx, `VACUUM ANALYZE call_task_reasons`)
		require.NoError(b, err)
		b.StartTimer()

		t0, c0 := time.Now(), backendCPU(pid)
		first, err := Build(ctx, one, BuildParams{DealerID: dealer, Day: day})
		require.NoError(b, err)
		build, buildCPU := time.Since(t0), backendCPU(pid)-c0

		b.StopTimer()
		// Same shape: columns, defaults, indexes and the same foreign keys.
		for _, ddl := range []string{
			`CREATE TABLE bare_tasks (LIKE call_tasks INCLUDING ALL)`,
			`ALTER TABLE bare_tasks ADD FOREIGN KEY (dealer_id) REFERENCES dealers(id),
				ADD FOREIGN KEY (customer_id) REFERENCES customers(id),
				ADD FOREIGN KEY (assigned_user_id) REFERENCES users(id),
				ADD FOREIGN KEY (taken_by) REFERENCES users(id)`,
			`CREATE TABLE bare_reasons (LIKE call_task_reasons INCLUDING ALL)`,
			`ALTER TABLE bare_reasons ADD FOREIGN KEY (dealer_id) REFERENCES dealers(id),
				ADD FOREIGN KEY (task_id) REFERENCES bare_tasks(id),
				ADD FOREIGN KEY (customer_id) REFERENCES customers(id)`,
		} {
			_, err = db.Exec(ctx, ddl)
			require.NoError(b, err)
		}
		t0, c0 = time.Now(), backendCPU(pid)
		var tasks, reasons int64
		err = store.WithTx(ctx, one, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO bare_tasks SELECT * FROM call_tasks WHERE dealer_id = $1`, dealer)
			if err != nil {
				return err
			}
			tasks = tag.RowsAffected()
			tag, err = tx.Exec(ctx, `INSERT INTO bare_reasons SELECT * FROM call_task_reasons WHERE dealer_id = $1`, dealer)
			reasons = tag.RowsAffected()
			return err
		})
		require.NoError(b, err)
		bare, bareCPU := time.Since(t0), backendCPU(pid)-c0
		b.StartTimer()

		t0, c0 = time.Now(), backendCPU(pid)
		second, err := Build(ctx, one, BuildParams{DealerID: dealer, Day: day})
		require.NoError(b, err)
		rebuild, rebuildCPU := time.Since(t0), backendCPU(pid)-c0
		require.Zero(b, second.ReasonsAdded)

		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(bare.Seconds(), "bare-insert-s")
		b.ReportMetric(build.Seconds()/bare.Seconds(), "build/bare")
		b.ReportMetric(rebuild.Seconds(), "rebuild-s")
		b.ReportMetric(rebuild.Seconds()/build.Seconds(), "rebuild/build")
		b.ReportMetric(buildCPU.Seconds()/bareCPU.Seconds(), "build/bare-cpu")
		if os.Getenv("HUIFANG_BENCH_PROFILE") != "" {
			// The same build again, statement by statement and timed, on an empty queue.
			_, err := db.Exec(ctx, `DELETE FROM call_tasks WHERE dealer_id = $1`, dealer)
			require.NoError(b, err)
			prof, err := Build(ctx, one, BuildParams{DealerID: dealer, Day: day, stepByStep: true})
			require.NoError(b, err)
			again, err := Build(ctx, one, BuildParams{DealerID: dealer, Day: day, stepByStep: true})
			require.NoError(b, err)
			b.Log("build steps: " + stepProfile(prof.Steps) + "\nrebuild steps: " + stepProfile(again.Steps))
		}
		la, _ := os.ReadFile("/proc/loadavg")
		b.Log(fmt.Sprintf("customers %d: build %s (%d reasons, %d tasks, %d held); bare insert of %d tasks + %d reasons %s; ratio %.2f; rebuild %s (%.2f of the build); Postgres backend CPU: build %s, bare %s (ratio %.2f), rebuild %s (%.2f); load average %s",
			n, build.Round(time.Millisecond), first.ReasonsAdded, first.TasksCreated, first.Held, tasks, reasons,
			bare.Round(time.Millisecond), build.Seconds()/bare.Seconds(), rebuild.Round(time.Millisecond), rebuild.Seconds()/build.Seconds(),
			buildCPU.Round(10*time.Millisecond), bareCPU.Round(10*time.Millisecond), buildCPU.Seconds()/bareCPU.Seconds(),
			rebuildCPU.Round(10*time.Millisecond), rebuildCPU.Seconds()/buildCPU.Seconds(), strings.TrimSpace(string(la))))
	}
}

// backendCPU returns the CPU time (user + system) a local Postgres backend has used.
func backendCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // clock ticks at USER_HZ 100
}

// stepProfile lists the steps that took 2 % of the build or more, slowest first.
func stepProfile(steps []BuildStep) string {
	var total time.Duration
	for _, s := range steps {
		total += s.Took
	}
	sorted := append([]BuildStep(nil), steps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Took > sorted[j].Took })
	var parts []string
	for _, s := range sorted {
		if s.Took*50 < total {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s (%.0f%%)", s.Step, s.Took.Round(10*time.Millisecond), 100*s.Took.Seconds()/total.Seconds()))
	}
	return strings.Join(parts, ", ")
}
