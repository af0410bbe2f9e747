package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestCallsExport(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	d, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "E1", Name: "测试4S店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO call_attempts (dealer_id, call_id, to_number, invite_at, answer_at, end_at, sip_status, outcome, recording_path)
		VALUES ($1, 'a', '13800001234', '2026-11-21 23:59+08', NULL, NULL, 486, 'busy', ''),
		       ($1, 'b', '13800001235', '2026-11-22 10:00+08', '2026-11-22 10:00:10+08', '2026-11-22 10:01:10+08', 200, 'answered', '/tmp/x.wav'),
		       ($1, 'c', '13800001236', '2026-11-23 00:00+08', NULL, NULL, 480, 'no_answer', '')`, d.ID)
	require.NoError(t, err)

	require.Equal(t, 0, runWith(ctx, env, []string{"calls", "export", "--dealer", "E1", "--from", "2026-11-22", "--to", "2026-11-22", "--format", "jsonl"}), errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1, "only the day's calls, in the dealer's zone")
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	require.Equal(t, "13800001235", rec["phone"])
	require.Equal(t, 60.0, rec["talk_seconds"])
	require.Contains(t, rec["recording_url"], "/api/v1/recordings/")

	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"calls", "export", "--dealer", "E1", "--from", "2026-11-21", "--to", "2026-11-23"}), errb.String())
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "header and three calls")
	require.Equal(t, "phone", rows[0][5])
	require.Equal(t, 2, runWith(ctx, env, []string{"calls", "export", "--dealer", "E1", "--from", "2026-11-23", "--to", "2026-11-22"}))
	require.Equal(t, 2, runWith(ctx, env, []string{"calls", "export", "--dealer", "E1", "--from", "2026-11-22", "--to", "2026-11-22", "--format", "xml"}))
}
