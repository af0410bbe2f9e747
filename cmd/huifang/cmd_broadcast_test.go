package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestBroadcastCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	var out, errb bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(k string) string {
		return map[string]string{"DATABASE_URL": db.URL}[k]
	}}
	d, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "CMP1", Name: "命令测试店"})
	require.NoError(t, err)
	var a, b int64
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王', '先生', '13900000001') RETURNING id`, d.ID).Scan(&a))
	require.NoError(t, db.Pool.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '李', '女士', '13900000002') RETURNING id`, d.ID).Scan(&b))
	_, err = db.Pool.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13900000002')`, d.ID)
	require.NoError(t, err)

	run := func(args ...string) string {
		t.Helper()
		out.Reset()
		errb.Reset()
		require.Equal(t, 0, runWith(ctx, env, args), "%v: %s", args, errb.String())
		return out.String()
	}
	require.Contains(t, run("sms", "template", "--dealer", "CMP1", "--signature", "【命令店】"), "【命令店】")
	o := run("sms", "template", "--dealer", "CMP1", "--code", "offer", "--kind", "service", "--body", "{customer}，本周六店庆，欢迎光临。")
	require.Contains(t, o, "【命令店】王先生，本周六店庆，欢迎光临。")
	require.Contains(t, o, "1 SMS")
	// The cloud provider's template code is set by its flag and kept by a save without it.
	run("sms", "template", "--dealer", "CMP1", "--code", "offer", "--kind", "service", "--body", "{customer}，本周六店庆，欢迎光临。", "--provider-code", "SMS_42")
	run("sms", "template", "--dealer", "CMP1", "--code", "offer", "--kind", "service", "--body", "{customer}，本周六店庆，欢迎光临！")
	tmpl, err := notify.LoadSMSTemplate(ctx, db.Pool, d.ID, "offer")
	require.NoError(t, err)
	require.Equal(t, "SMS_42", tmpl.ProviderCode)
	o = run("broadcast", "sms", "--dealer", "CMP1", "--code", "anniv", "--template", "offer", "--customers", fmt.Sprintf("%d,%d", a, b))
	require.Contains(t, o, "1 queued")
	require.Contains(t, o, "1 suppressed")
	o = run("broadcast", "stats", "--dealer", "CMP1")
	require.Contains(t, o, "anniv")
	require.Equal(t, 2, runWith(ctx, env, []string{"broadcast", "sms", "--dealer", "CMP1"}), "missing flags are a usage error")
	require.Equal(t, 2, runWith(ctx, env, []string{"campaign", "sms", "--dealer", "CMP1"}), "the former name still runs the command")
	require.Equal(t, 2, runWith(ctx, env, []string{"campaign", "nope"}), "an unknown command")
	require.NotEqual(t, 0, runWith(ctx, env, []string{"sms", "template", "--dealer", "CMP1", "--code", "x", "--body", "{nope}"}))
	require.Contains(t, errb.String(), "unknown variable {nope}")

	// Quiet hours of marketing SMS: wider is saved (and audited), narrower refused.
	quiet := func() string {
		s, err := store.New(db.Pool).GetDealerSMS(ctx, d.ID)
		require.NoError(t, err)
		return notify.StoredQuietHours(s.QuietStart, s.QuietEnd).String()
	}
	require.Equal(t, "21:00-08:00", quiet())
	for _, bad := range []struct{ arg, err string }{
		{"22:00-08:00", "quiet hours must start at 21:00 or earlier, got 22:00"},
		{"21:00-07:30", "quiet hours must end at 08:00 or later, got 07:30"},
		{"8pm-9am", "give a time of day as HH:MM"},
		{"20:00", "give start-end as HH:MM-HH:MM"},
	} {
		errb.Reset()
		require.Equal(t, 1, runWith(ctx, env, []string{"sms", "template", "--dealer", "CMP1", "--quiet-hours", bad.arg}), bad.arg)
		require.Contains(t, errb.String(), bad.err)
	}
	require.Equal(t, "21:00-08:00", quiet(), "nothing saved")
	require.Contains(t, run("sms", "template", "--dealer", "CMP1", "--quiet-hours", "20:00-09:00"), "quiet hours of marketing SMS 20:00-09:00")
	require.Equal(t, "20:00-09:00", quiet())
	var n int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_quiet_hours.save' AND dealer_id = $1`, d.ID).Scan(&n))
	require.Equal(t, 1, n)
	// The other flags still work beside it.
	o = run("sms", "template", "--dealer", "CMP1", "--quiet-hours", "19:30-08:30", "--signature", "命令店二")
	require.Contains(t, o, "19:30-08:30")
	require.Contains(t, o, "【命令店二】")
	require.Equal(t, "19:30-08:30", quiet())
}

func TestSMSConsentCommand(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	_, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "CNS1", Name: "授权测试店"})
	require.NoError(t, err)
	run := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		code := runWith(ctx, env, append([]string{"sms", "consent", "--dealer", "CNS1"}, args...))
		return code, out.String() + errb.String()
	}
	code, o := run("--phone", "13900000001", "--show")
	require.Equal(t, 0, code, o)
	require.Contains(t, o, "no consent recorded")
	for _, bad := range [][]string{
		{"--phone", "13900000001", "--state", "opted_out"},                                    // no reason
		{"--phone", "13900000001", "--state", "yes", "--detail", "x"},                         // bad state
		{"--phone", "139", "--state", "opted_out", "--detail", "x"},                           // bad phone
		{"--phone", "13900000001", "--state", "opted_in", "--detail", "x", "--source", "web"}, // bad source
		{"--phone", "13900000001"},                                                            // neither --state nor --show
	} {
		code, o := run(bad...)
		require.Equal(t, 2, code, "%v: %s", bad, o)
	}
	code, o = run("--phone", "13900000001", "--state", "opted_out", "--detail", "门店登记时要求不发短信", "--source", "import")
	require.Equal(t, 0, code, o)
	code, o = run("--phone", "13900000001", "--show")
	require.Equal(t, 0, code, o)
	require.Contains(t, o, "opted_out")
	require.Contains(t, o, "import")
	require.Contains(t, o, "门店登记时要求不发短信")
}
