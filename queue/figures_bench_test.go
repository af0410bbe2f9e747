package queue

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// BenchmarkFigures times the figures that run the queue's schedule: one schedule as of a
// day, the first-maintenance return rate of a month (one schedule per distinct day before a
// first visit) and the due-not-come list, on HUIFANG_BENCH_CUSTOMERS customers (default
// 50,000) of testdata/bench_data.sql.
// go test ./queue -run '^$' -bench Figures -benchtime 3x -timeout 30m
func BenchmarkFigures(b *testing.B) {
	n := 50_000
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
	for _, stmt := range strings.Split(string(src), ";\n") {
		if hasCode(stmt) {
			_, err := db.Exec(ctx, stmt, pgx.NamedArgs{"dealer": dealer, "day": day, "n": n})
			require.NoError(b, err, stmt)
		}
	}
	_, err = db.Exec(ctx, `ANALYZE`)
	require.NoError(b, err)
	var vehicles int64
	require.NoError(b, db.QueryRow(ctx, `SELECT count(*) FROM vehicles`).Scan(&vehicles))
	from, to := mustDay("2026-02-01"), mustDay("2026-02-28")
	var sched, first, due time.Duration
	var firstRows, dueRows int
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		_, err := Schedule(ctx, db, dealer, []time.Time{to})
		require.NoError(b, err)
		t1 := time.Now()
		rows, err := FirstMaintenanceReturn(ctx, db, dealer, from, to)
		require.NoError(b, err)
		t2 := time.Now()
		d, err := DueNotCome(ctx, db, dealer, mustDay("2026-03-01"), day)
		require.NoError(b, err)
		t3 := time.Now()
		sched, first, due = sched+t1.Sub(t0), first+t2.Sub(t1), due+t3.Sub(t2)
		firstRows, dueRows = len(rows), len(d)
	}
	b.ReportMetric(float64(sched.Milliseconds())/float64(b.N), "schedule-ms")
	b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-maint-ms")
	b.ReportMetric(float64(due.Milliseconds())/float64(b.N), "due-not-come-ms")
	b.Logf("%d customers, %d vehicles: first-maintenance rows %d, due-not-come rows %d", n, vehicles, firstRows, dueRows)
}
