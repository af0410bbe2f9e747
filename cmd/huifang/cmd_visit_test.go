package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestVisitCommand(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	_, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "V1", Name: "测试4S店"})
	require.NoError(t, err)
	_, err = db.Pool.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) SELECT id, '13800009999' FROM dealers WHERE code = 'V1'`)
	require.NoError(t, err)

	tests := []struct {
		name     string
		args     []string
		code     int
		sms      string // status of the leave-store SMS, "" for none
		outboxes []string
	}{
		{"left: SMS and build", []string{"--phone", "+86 138-0000-1234", "--name", "周", "--title", "先生", "--arrived", "2026-11-22 15:00", "--left", "2026-11-22 16:10"}, 0, "queued", []string{"queue:build", "sms:send"}},
		{"still in the showroom: build only", []string{"--phone", "13800001235", "--arrived", "2026-11-22 15:00"}, 0, "", []string{"queue:build"}},
		{"do-not-call: SMS suppressed", []string{"--phone", "13800009999", "--arrived", "2026-11-22 15:00", "--left", "2026-11-22 15:30"}, 0, "suppressed", []string{"queue:build"}},
		{"left now, no arrival given", []string{"--phone", "13800001237", "--left", "now"}, 0, "queued", []string{"queue:build", "sms:send"}},
		{"recorded after it ended", []string{"--phone", "13800001238", "--left", "2026-11-22 16:10"}, 0, "queued", []string{"queue:build", "sms:send"}},
		{"bad leave time", []string{"--phone", "13800001239", "--left", "soon"}, 2, "", nil},
		{"bad phone", []string{"--phone", "123"}, 2, "", nil},
		{"left before arriving", []string{"--phone", "13800001236", "--arrived", "2026-11-22 15:00", "--left", "2026-11-22 14:00"}, 1, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Pool.Exec(ctx, `DELETE FROM outbox`)
			require.NoError(t, err)
			out.Reset()
			errb.Reset()
			code := runWith(ctx, env, append([]string{"visit", "--dealer", "V1"}, tc.args...))
			require.Equal(t, tc.code, code, errb.String())
			rows, err := db.Pool.Query(ctx, `SELECT task_type FROM outbox ORDER BY task_type`)
			require.NoError(t, err)
			types, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			if tc.outboxes == nil {
				require.Empty(t, types)
				return
			}
			require.Equal(t, tc.outboxes, types)
			var status string
			err = db.Pool.QueryRow(ctx, `SELECT m.status FROM sms_messages m JOIN customers c ON c.id = m.customer_id
				WHERE c.phone = $1`, normalized(tc.args[1])).Scan(&status)
			if tc.sms == "" {
				require.ErrorIs(t, err, pgx.ErrNoRows)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.sms, status)
			}
		})
	}
}

func normalized(p string) string {
	if p == "+86 138-0000-1234" {
		return "13800001234"
	}
	return p
}
