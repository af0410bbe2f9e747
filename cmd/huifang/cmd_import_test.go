package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/storetest"
)

// importEnv returns a CLI environment on a fresh migrated schema and its output buffers.
func importEnv(t *testing.T) (*cliEnv, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	return testEnvFor(t, storetest.NewDB(t).URL)
}

// lastJSON decodes the last line of out.
func lastJSON(t *testing.T, out string) importSummary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s importSummary
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &s), out)
	return s
}

func testVIN(t *testing.T, i int) string {
	v, err := importer.WithVINCheckDigit("LFV2A21K0N" + strings.Repeat("0", 6) + string(rune('0'+i)))
	require.NoError(t, err)
	return v
}

// TestImportCommand runs `huifang import` end to end on a GBK owners export with a bad
// row: refused with --json errors, accepted with --skip-invalid, unchanged the second time.
func TestImportCommand(t *testing.T) {
	env, out, errb := importEnv(t)
	ctx := context.Background()
	body := "客户姓名,手机号,车架号,交车日期\r\n" +
		"张三,139 1234 5678," + testVIN(t, 1) + ",2026年3月1日\r\n" +
		"李四,138-0000-0001," + testVIN(t, 2) + ",2026/3/2\r\n" +
		"王五,12345," + testVIN(t, 3) + ",2026-03-03\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(body)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "车主.csv")
	require.NoError(t, os.WriteFile(path, []byte(gbk), 0o644))

	code := runWith(ctx, env, []string{"import", "--dealer", "CLI1", "--json", path})
	require.Equal(t, 1, code, "a file with an invalid row is refused")
	s := lastJSON(t, out.String())
	require.Equal(t, importer.Counts{Read: 3, Invalid: 1}, s.Counts)
	require.Len(t, s.Errors, 1)
	require.Equal(t, importer.RowError{Row: 4, Column: "手机号", Value: "12345", Reason: s.Errors[0].Reason, File: path}, s.Errors[0])
	require.Contains(t, errb.String(), "refused")

	out.Reset()
	code = runWith(ctx, env, []string{"import", path, "--dealer", "CLI1", "--skip-invalid", "--json"})
	require.Equal(t, 0, code, errb.String())
	s = lastJSON(t, out.String())
	require.Equal(t, importer.Counts{Read: 3, Inserted: 2, Invalid: 1}, s.Counts)

	out.Reset()
	code = runWith(ctx, env, []string{"import", "--dealer", "CLI1", "--skip-invalid", path})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "read 3, inserted 0, updated 0, unchanged 2, invalid 1")
	require.Contains(t, out.String(), `row 4, 手机号 "12345"`)

	out.Reset()
	code = runWith(ctx, env, []string{"import", "--dealer", "CLI1"})
	require.Equal(t, 2, code, "no file is a usage error")
}

// TestImportAsksForTheBuildThroughTheOutbox: an import that changed data writes a
// queue:build outbox row for the dealer's day with the data, and needs no Redis (issue
// 18: a build handed straight to Redis was lost when Redis was down or lost it); a dry
// run and an unchanged file ask for nothing.
func TestImportAsksForTheBuildThroughTheOutbox(t *testing.T) {
	db := storetest.NewDB(t)
	var out, errb bytes.Buffer
	vars := map[string]string{"DATABASE_URL": db.URL, "REDIS_URL": "redis://127.0.0.1:1/0"}
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "owners.csv")
	require.NoError(t, os.WriteFile(path, []byte("客户姓名,手机号,车架号,交车日期\r\n张三,13912345678,"+testVIN(t, 1)+",2026-03-01\r\n"), 0o644))
	builds := func() []string {
		rows, err := db.Pool.Query(ctx, `SELECT payload->>'day' FROM outbox o JOIN dealers d ON d.id = o.dealer_id
			WHERE d.code = 'OB1' AND o.task_type = 'queue:build' AND (o.payload->>'dealer_id')::bigint = d.id ORDER BY o.id`)
		require.NoError(t, err)
		defer rows.Close()
		var days []string
		for rows.Next() {
			var d string
			require.NoError(t, rows.Scan(&d))
			days = append(days, d)
		}
		require.NoError(t, rows.Err())
		return days
	}
	require.Equal(t, 0, runWith(ctx, env, []string{"import", "--dealer", "OB1", "--dry-run", path}), errb.String())
	require.Empty(t, builds())
	require.Equal(t, 0, runWith(ctx, env, []string{"import", "--dealer", "OB1", path}), errb.String())
	require.Len(t, builds(), 1)
	require.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, builds()[0])
	require.Empty(t, errb.String(), "no warning: Redis is not needed")
	require.Equal(t, 0, runWith(ctx, env, []string{"import", "--dealer", "OB1", path}), errb.String())
	require.Len(t, builds(), 1, "an unchanged file asks for no build")
}
