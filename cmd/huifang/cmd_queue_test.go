package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestQueueBuildAndList builds a small dealer's queue with the CLI and reads it back as JSON
// and as a table; bad arguments exit non-zero with a clear message.
func TestQueueBuildAndList(t *testing.T) {
	db := storetest.NewDB(t)
	var out, errb bytes.Buffer
	vars := map[string]string{"DATABASE_URL": db.URL}
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	ctx := context.Background()

	d, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "QCLI", Name: "测试店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `
		WITH c AS (INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '张三', '先生', '13900000001') RETURNING id)
		INSERT INTO vehicles (dealer_id, customer_id, vin, delivery_day, warranty_end)
		SELECT $1, c.id, 'LFV2A21K000000001', DATE '2026-03-01', DATE '2026-04-01' FROM c`, d.ID)
	require.NoError(t, err)

	code := runWith(ctx, env, []string{"queue", "build", "--dealer", "QCLI", "--date", "2026-03-04"})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "2 new")

	out.Reset()
	code = runWith(ctx, env, []string{"queue", "list", "--dealer", "QCLI", "--date", "2026-03-04", "--json"})
	require.Equal(t, 0, code, errb.String())
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		lines = append(lines, m)
	}
	require.Len(t, lines, 1)
	require.Equal(t, "13900000001", lines[0]["phone"])
	require.Equal(t, "张三", lines[0]["customer"])
	require.Equal(t, []any{"delivery_3day", "warranty"}, lines[0]["campaigns"])
	require.EqualValues(t, 50, lines[0]["priority"])
	require.Equal(t, "2026-01-31", lines[0]["due"]) // warranty end 2026-04-01 - 60 days
	require.Equal(t, "2026-04-01", lines[0]["expires"])
	require.Len(t, lines[0]["reasons"], 2)

	out.Reset()
	code = runWith(ctx, env, []string{"queue", "list", "--dealer", "QCLI", "--date", "2026-03-04", "--campaign", "warranty"})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "张三先生")
	require.Contains(t, out.String(), "1 tasks as of 2026-03-04")

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"queue", "list", "--dealer", "NOPE"}, 1, `unknown dealer "NOPE"`},
		{[]string{"queue", "build", "--dealer", "NOPE"}, 1, `unknown dealer "NOPE"`},
		{[]string{"queue", "list", "--dealer", "QCLI", "--date", "2026-02-30"}, 2, "is not a day"},
		{[]string{"queue", "build", "--dealer", "QCLI", "--date", "03/04/2026"}, 2, "is not a day"},
		{[]string{"queue", "list", "--dealer", "QCLI", "--campaign", "spam"}, 2, `unknown campaign "spam"`},
		{[]string{"queue", "build"}, 2, "--dealer is required"},
	} {
		errb.Reset()
		require.Equal(t, tc.code, runWith(ctx, env, tc.args), tc.args)
		require.Contains(t, errb.String(), tc.msg, tc.args)
	}
}
