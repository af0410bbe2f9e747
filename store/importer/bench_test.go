package importer_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// writeOwnersCSV writes an owners export of n rows (valid VINs and phones) the way a DMS
// does: UTF-8 with a BOM, Chinese headers, random-looking phones.
func writeOwnersCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("\ufeff客户姓名,手机号,性别,车架号,车牌号,品牌,车型,交车日期,行驶里程,里程日期,保险到期日,客户等级,销售顾问\r\n")
	brands := []string{"大众,帕萨特", "大众,途观L", "丰田,凯美瑞", "本田,雅阁", "别克,君越"}
	grades := []string{"A", "B", "C", ""}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		d := base.AddDate(0, 0, i%1100)
		// A bijection of i onto 9 digits, so phones are unique but not in file order.
		p := (uint64(i)*387_420_489 + 12_345) % 1_000_000_000
		fmt.Fprintf(w, "客户%d,1%d%09d,%s,%s,沪A%05d,%s,%s,%d,%s,%s,%s,顾问%d\r\n",
			i, 3+i%7, p, []string{"男", "女"}[i%2], vin(tb, i), i%100000, brands[i%len(brands)],
			d.Format("2006-01-02"), 1000+i%90000, "2026/3/1", d.AddDate(1, 0, 0).Format("2006年1月2日"),
			grades[i%len(grades)], i%20)
	}
	require.NoError(tb, w.Flush())
	require.NoError(tb, f.Close())
}

// procCPU returns the CPU time (user + system) a local process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // clock ticks at USER_HZ 100
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportOwners imports a generated owners CSV into a fresh schema and reports
// rows/s (wall clock), and the CPU time of the Postgres backend and of this process, which
// say what the import costs whatever else the machine is doing. In the same run it writes
// the rows the import wrote (customers, vehicles, odometer readings, read back) into
// another fresh schema with pgx CopyFrom, the floor of writing them at all, and reports the
// import against it (HUIFANG_BENCH_NO_COPY=1 skips that). HUIFANG_BENCH_ROWS sets the
// size (default 1,000,000); HUIFANG_BENCH_NO_FK=1 drops the foreign keys of the tables an
// owners file fills in the benchmark's own schema, to measure their share;
// HUIFANG_BENCH_REIMPORT=1 also times importing the same file a second time. Run it with
//
//	go test ./store/importer -run '^$' -bench ImportOwners -benchtime 1x
func BenchmarkImportOwners(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("HUIFANG_BENCH_ROWS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	path := filepath.Join(b.TempDir(), "owners.csv")
	writeOwnersCSV(b, path, n)
	st, err := os.Stat(path)
	require.NoError(b, err)
	ctx := context.Background()
	b.ResetTimer()
	var wall, pgCPU, goCPU time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tdb := storetest.NewDB(b)
		// One connection, so its backend is the one doing the import.
		db, err := store.Open(ctx, store.Config{URL: tdb.URL, MaxConns: 1})
		require.NoError(b, err)
		var pid int
		require.NoError(b, db.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid))
		if os.Getenv("HUIFANG_BENCH_NO_FK") != "" {
			// Measures what the foreign-key checks cost: drops them in this throwaway schema.
			for _, c := range []string{"customers DROP CONSTRAINT customers_dealer_id_fkey",
				"vehicles DROP CONSTRAINT vehicles_dealer_id_fkey", "vehicles DROP CONSTRAINT vehicles_customer_id_fkey",
				"odometer_readings DROP CONSTRAINT odometer_readings_vehicle_id_fkey"} {
				_, err := db.Exec(ctx, "ALTER TABLE "+c)
				require.NoError(b, err)
			}
		}
		opts := importer.Options{DealerCode: "BENCH"}
		if testing.Verbose() {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
		pg0, go0 := procCPU(pid), selfCPU()
		b.StartTimer()
		start := time.Now()
		res, err := importer.Import(ctx, db, opts, path)
		wall += time.Since(start)
		b.StopTimer()
		pgCPU += procCPU(pid) - pg0
		goCPU += selfCPU() - go0
		require.NoError(b, err)
		require.False(b, res.Refused(), "%+v", res.Files[0].Errors)
		require.Equal(b, n, res.Total.Inserted)
		if os.Getenv("HUIFANG_BENCH_NO_COPY") == "" {
			copyFloor(b, db, n, wall/time.Duration(i+1), pgCPU/time.Duration(i+1))
		}
		if os.Getenv("HUIFANG_BENCH_REIMPORT") != "" {
			// The same file again: every row unchanged, nothing written.
			start := time.Now()
			res, err := importer.Import(ctx, db, opts, path)
			require.NoError(b, err)
			require.Equal(b, n, res.Total.Unchanged)
			b.Logf("re-import of the same file: %v, %.0f rows/s", time.Since(start), float64(n)/time.Since(start).Seconds())
		}
		db.Close()
		b.StartTimer()
	}
	rate := float64(n) * float64(b.N) / wall.Seconds()
	b.ReportMetric(rate, "rows/s")
	b.ReportMetric(pgCPU.Seconds()/float64(b.N), "pg-cpu-s")
	b.ReportMetric(goCPU.Seconds()/float64(b.N), "go-cpu-s")
	la, _ := os.ReadFile("/proc/loadavg")
	b.Logf("%d rows (%.0f MB): %v per import, %.0f rows/s; Postgres backend CPU %v, Go CPU %v; load average %s",
		n, float64(st.Size())/1e6, wall/time.Duration(b.N), rate, pgCPU/time.Duration(b.N), goCPU/time.Duration(b.N), strings.TrimSpace(string(la)))
}

// copyFloor reads back the rows the import wrote into src (the dealer, its customers,
// vehicles and odometer readings, every column a column of the table's own) and writes
// them with pgx CopyFrom into a fresh schema with the same tables, indexes, foreign keys
// and triggers, one transaction per table on one connection, timing the copy alone (wall and
// backend CPU); it logs the import against it.
func copyFloor(b *testing.B, src *pgxpool.Pool, n int, importWall, importCPU time.Duration) {
	ctx := context.Background()
	tdb := storetest.NewDB(b)
	dst, err := store.Open(ctx, store.Config{URL: tdb.URL, MaxConns: 1})
	require.NoError(b, err)
	defer dst.Close()
	var pid int
	require.NoError(b, dst.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid))
	var wall, cpu time.Duration
	for _, table := range []string{"dealers", "customers", "vehicles", "odometer_readings"} {
		rows, err := src.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, table)
		require.NoError(b, err)
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(b, err)
		ids := make([]string, len(cols))
		for i, c := range cols {
			ids[i] = pgx.Identifier{c}.Sanitize()
		}
		rows, err = src.Query(ctx, "SELECT "+strings.Join(ids, ", ")+" FROM "+pgx.Identifier{table}.Sanitize())
		require.NoError(b, err)
		var data [][]any
		for rows.Next() {
			v, err := rows.Values()
			require.NoError(b, err)
			data = append(data, v)
		}
		require.NoError(b, rows.Err())
		start, c0 := time.Now(), procCPU(pid)
		err = pgx.BeginFunc(ctx, dst, func(tx pgx.Tx) error {
			_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(data))
			return err
		})
		require.NoError(b, err, table)
		if table != "dealers" {
			wall += time.Since(start)
			cpu += procCPU(pid) - c0
		}
	}
	b.ReportMetric(importWall.Seconds()/wall.Seconds(), "import/copy")
	b.ReportMetric(importCPU.Seconds()/cpu.Seconds(), "import/copy-cpu")
	la, _ := os.ReadFile("/proc/loadavg")
	b.Logf("same rows through pgx CopyFrom (customers, vehicles, odometer readings, one table per transaction): %v, %.0f rows/s, backend CPU %v; import %v (%.2fx), backend CPU %v (%.2fx); load average %s",
		wall.Round(time.Millisecond), float64(n)/wall.Seconds(), cpu, importWall.Round(time.Millisecond), importWall.Seconds()/wall.Seconds(),
		importCPU, importCPU.Seconds()/cpu.Seconds(), strings.TrimSpace(string(la)))
}
