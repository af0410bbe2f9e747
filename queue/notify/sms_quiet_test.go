package notify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

func TestParseQuietHours(t *testing.T) {
	t.Parallel()
	cases := []struct {
		start, end string
		want       string // the hours parsed, or "" when refused
		err        string // part of the error when refused
	}{
		{"21:00", "08:00", "21:00-08:00", ""},
		{"20:00", "09:00", "20:00-09:00", ""},
		{" 20:30 ", "8:15", "20:30-08:15", ""},
		{"12:00", "08:00", "12:00-08:00", ""},
		{"21:00", "12:00", "21:00-12:00", ""},
		{"22:00", "08:00", "", "quiet hours must start at 21:00 or earlier, got 22:00: marketing SMS are never sent between 21:00 and 08:00"},
		{"21:01", "08:00", "", "start at 21:00 or earlier, got 21:01"},
		{"21:00", "07:30", "", "quiet hours must end at 08:00 or later, got 07:30: marketing SMS are never sent between 21:00 and 08:00"},
		{"11:59", "08:00", "", "start at 12:00 or later, got 11:59"},
		{"21:00", "12:01", "", "end at 12:00 or earlier, got 12:01"},
		{"12:00", "12:00", "", "leave no time to send marketing SMS"},
		{"2100", "08:00", "", `quiet hours start "2100": give a time of day as HH:MM`},
		{"21:00", "", "", `quiet hours end "": give a time of day as HH:MM`},
		{"24:00", "08:00", "", "HH:MM"},
		{"20:60", "08:00", "", "HH:MM"},
		{"八点", "08:00", "", "HH:MM"},
	}
	for _, c := range cases {
		h, err := ParseQuietHours(c.start, c.end)
		if c.want == "" {
			require.ErrorContains(t, err, c.err, "%s-%s", c.start, c.end)
			require.ErrorContains(t, ValidateQuietHours(c.start, c.end), c.err)
			continue
		}
		require.NoError(t, err, "%s-%s", c.start, c.end)
		require.NoError(t, ValidateQuietHours(c.start, c.end))
		require.Equal(t, c.want, h.String())
		require.True(t, h.Contains(DefaultQuietHours().Start) && h.Contains(DefaultQuietHours().End-time.Minute), "%s holds 21:00-08:00", h)
	}

	for _, c := range []struct{ in, want, err string }{
		{"20:00-09:00", "20:00-09:00", ""},
		{" 21:00-08:00 ", "21:00-08:00", ""},
		{"20:00", "", "give start-end as HH:MM-HH:MM"},
		{"22:00-08:00", "", "start at 21:00 or earlier"},
	} {
		h, err := ParseQuietHoursRange(c.in)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, h.String())
	}
}

func TestQuietHoursContainsAndNextEnd(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		require.NoError(t, err)
		return v
	}
	wide, err := ParseQuietHours("20:00", "09:30")
	require.NoError(t, err)
	cases := []struct {
		hours QuietHours
		now   string
		quiet bool
		end   string
	}{
		{DefaultQuietHours(), "2026-11-23 20:30", false, ""},
		{wide, "2026-11-23 20:30", true, "2026-11-24 09:30"},
		{wide, "2026-11-23 19:59", false, ""},
		{wide, "2026-11-23 20:00", true, "2026-11-24 09:30"},
		{DefaultQuietHours(), "2026-11-24 08:30", false, ""},
		{wide, "2026-11-24 08:30", true, "2026-11-24 09:30"},
		{wide, "2026-11-24 09:30", false, ""},
		{DefaultQuietHours(), "2026-11-23 22:30", true, "2026-11-24 08:00"},
		{DefaultQuietHours(), "2026-11-24 07:59", true, "2026-11-24 08:00"},
		{DefaultQuietHours(), "2026-11-30 23:00", true, "2026-12-01 08:00"},
	}
	for _, c := range cases {
		now := at(c.now)
		require.Equal(t, c.quiet, c.hours.ContainsTime(now, loc), "%s at %s", c.hours, c.now)
		if c.quiet {
			require.True(t, at(c.end).Equal(c.hours.NextEnd(now, loc)), "%s at %s: %v", c.hours, c.now, c.hours.NextEnd(now, loc))
		}
	}
}

func TestSaveQuietHours(t *testing.T) {
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	q := store.New(b.db)
	other, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D2", Name: "另一店"})
	require.NoError(t, err)
	quietOf := func(id int64) string {
		d, err := q.GetDealerSMS(ctx, id)
		require.NoError(t, err)
		return StoredQuietHours(d.QuietStart, d.QuietEnd).String()
	}
	audits := func() int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_quiet_hours.save'`).Scan(&n))
		return n
	}
	require.Equal(t, "21:00-08:00", quietOf(b.dealer), "no setting: the rule's hours")

	// Bad input stores nothing and audits nothing.
	for _, bad := range [][2]string{{"22:00", "08:00"}, {"21:00", "07:00"}, {"9pm", "08:00"}} {
		require.Error(t, SaveQuietHours(ctx, b.db, b.dealer, bad[0], bad[1], b.agents[0]), bad)
	}
	var settings string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT settings::text FROM dealers WHERE id = $1`, b.dealer).Scan(&settings))
	require.NotContains(t, settings, "sms_quiet")
	require.Zero(t, audits())

	require.NoError(t, SaveQuietHours(ctx, b.db, b.dealer, "20:00", "9:00", b.agents[0]))
	require.Equal(t, "20:00-09:00", quietOf(b.dealer))
	require.Equal(t, "21:00-08:00", quietOf(other.ID), "another dealer keeps the rule's hours")
	var by *int64
	var detail string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT user_id, detail::text FROM audit_log WHERE action = 'sms_quiet_hours.save' AND dealer_id = $1`, b.dealer).Scan(&by, &detail))
	require.Equal(t, b.agents[0], *by)
	require.JSONEq(t, `{"start": "20:00", "end": "09:00"}`, detail)

	// Without a user (the command line) the audit row has none.
	require.NoError(t, SaveQuietHours(ctx, b.db, other.ID, "21:00", "08:30", 0))
	require.Equal(t, "21:00-08:30", quietOf(other.ID))
	require.Equal(t, 2, audits())
	require.ErrorContains(t, SaveQuietHours(ctx, b.db, other.ID+1000, "20:00", "09:00", 0), "no dealer")
	require.Equal(t, 2, audits())

	// Settings written some other way can never narrow the rule: malformed or narrower
	// values count as 21:00-08:00.
	for _, c := range []struct{ settings, want string }{
		{`{"sms_quiet_start": "23:00", "sms_quiet_end": "06:00"}`, "21:00-08:00"},
		{`{"sms_quiet_start": "later", "sms_quiet_end": 9}`, "21:00-08:00"},
		{`{"sms_quiet_start": "19:45"}`, "19:45-08:00"},
	} {
		_, err := b.db.Exec(ctx, `UPDATE dealers SET settings = $2::jsonb WHERE id = $1`, other.ID, c.settings)
		require.NoError(t, err)
		require.Equal(t, c.want, quietOf(other.ID), c.settings)
	}
}

// errRollback ends a transaction a test only looks into.
var errRollback = errors.New("rollback")

// smsMsgOf inserts a released, queued message of a dealer and returns its id.
func (b *workBundle) smsMsgOf(t testing.TB, dealerID int64, phone, kind string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO sms_messages (dealer_id, phone, kind, body, idempotency_key)
		VALUES ($1, $2, $3, '【测试】你好', $4) RETURNING id`, dealerID, phone, kind, fmt.Sprintf("t:%s:%d", phone, time.Now().UnixNano())).Scan(&id))
	return id
}

func TestDealerQuietHoursHoldMarketingSMS(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	q := store.New(b.db)
	d2, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D2", Name: "宽时段店"})
	require.NoError(t, err)
	wide, def := d2.ID, b.dealer
	require.NoError(t, SaveQuietHours(ctx, b.db, wide, "20:00", "09:00", 0))
	p := newCountingProvider()

	type msg struct {
		dealer int64
		kind   string
		status string // after the send
		held   string // not_before when held
	}
	cases := []struct {
		name  string
		now   string
		batch bool
		msgs  []msg
	}{
		{"one by one at 20:30", "2026-11-23 20:30", false, []msg{
			{wide, "marketing", "queued", "2026-11-24 09:00"},
			{wide, "service", "sent", ""},
			{def, "marketing", "sent", ""},
		}},
		{"one by one at 08:30", "2026-11-24 08:30", false, []msg{
			{wide, "marketing", "queued", "2026-11-24 09:00"},
			{def, "marketing", "sent", ""},
		}},
		{"a batch at 20:30", "2026-11-24 20:30", true, []msg{
			{wide, "marketing", "queued", "2026-11-25 09:00"},
			{def, "marketing", "sent", ""},
			{wide, "service", "sent", ""},
			{def, "marketing", "sent", ""},
			{wide, "marketing", "queued", "2026-11-25 09:00"},
		}},
		{"a batch at 22:00", "2026-11-24 22:00", true, []msg{
			{wide, "marketing", "queued", "2026-11-25 09:00"},
			{def, "marketing", "queued", "2026-11-25 08:00"},
			{def, "service", "sent", ""},
		}},
	}
	phone := 13900000100
	for _, c := range cases {
		now := b.at(t, c.now)
		sender := &ProviderSender{DB: b.db, Provider: p, Now: func() time.Time { return now }}
		var ids []int64
		for _, m := range c.msgs {
			phone++
			ids = append(ids, b.smsMsgOf(t, m.dealer, fmt.Sprint(phone), m.kind))
		}
		if c.batch {
			// The batch's one-statement claim takes only what may go now.
			require.ErrorIs(t, store.WithTx(ctx, b.db, func(tx pgx.Tx) error {
				rows, err := store.New(tx).ClaimSMSBatchFast(ctx, store.ClaimSMSBatchFastParams{Now: now, Ids: ids, Max: int32(len(ids))})
				require.NoError(t, err)
				var got []int64
				for _, r := range rows {
					got = append(got, r.ID)
				}
				var want []int64
				for i, m := range c.msgs {
					if m.status == "sent" {
						want = append(want, ids[i])
					}
				}
				require.ElementsMatch(t, want, got, c.name)
				return errRollback
			}), errRollback)
			require.NoError(t, sender.SendBatch(ctx, ids), c.name)
		} else {
			for _, id := range ids {
				require.NoError(t, sender.Send(ctx, SMS{ID: id}), c.name)
			}
		}
		for i, m := range c.msgs {
			row := b.smsRow(t, ids[i])
			require.Equal(t, m.status, row.Status, "%s: message %d", c.name, i)
			if m.held == "" {
				require.Equal(t, 1, p.count(ids[i]), "%s: message %d", c.name, i)
				continue
			}
			require.Zero(t, p.count(ids[i]), "%s: message %d", c.name, i)
			require.NotNil(t, row.NotBefore, "%s: message %d", c.name, i)
			require.True(t, b.at(t, m.held).Equal(*row.NotBefore), "%s: message %d held until %v", c.name, i, row.NotBefore)
		}
	}

	// The sweep releases the messages the wide dealer held this evening at 09:00, not at
	// 08:00 (at 08:59 it releases the default dealer's and the wide dealer's overdue
	// ones of the day before), and they go.
	res, err := SweepSMS(ctx, b.db, b.at(t, "2026-11-25 08:59"), 0, 0)
	require.NoError(t, err)
	require.Equal(t, 3, res.Released)
	res, err = SweepSMS(ctx, b.db, b.at(t, "2026-11-25 09:00"), 0, 0)
	require.NoError(t, err)
	require.Equal(t, 3, res.Released, "the wide dealer's three of the evening")
	morning := &ProviderSender{DB: b.db, Provider: p, Now: func() time.Time { return b.at(t, "2026-11-25 09:00") }}
	rows, err := b.db.Query(ctx, `SELECT id FROM sms_messages WHERE status = 'queued' ORDER BY id`)
	require.NoError(t, err)
	held, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Len(t, held, 6)
	require.NoError(t, morning.SendBatch(ctx, held))
	for _, id := range held {
		require.Equal(t, "sent", b.smsRow(t, id).Status)
		require.Equal(t, 1, p.count(id))
	}
	require.Equal(t, 1, p.maxCount(), "nothing sent twice")
}

func TestSMSCampaignHeldForDealerQuietHours(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	cust := b.smsCust(t, "王", "13900000031", true, "")
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "offer", Kind: "marketing", Title: "优惠",
		Body: "{customer}，本月保养八折。"}, 0))
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "notice", Kind: "service", Title: "通知",
		Body: "{customer}，您的车已保养完毕。"}, 0))
	notBefore := func(code string) *time.Time {
		var nb *time.Time
		require.NoError(t, b.db.QueryRow(ctx, `SELECT not_before FROM sms_messages WHERE idempotency_key = $1`,
			fmt.Sprintf("campaign:%s:%d", code, cust)).Scan(&nb))
		return nb
	}
	start := func(code, template, now, sendAt string) *SMSBroadcastResult {
		p := SMSBroadcastParams{DealerID: b.dealer, Code: code, Template: template, Day: day("2026-11-23"),
			Audience: SMSAudience{CustomerIDs: []int64{cust}}, Now: b.at(t, now)}
		if sendAt != "" {
			p.SendAt = b.at(t, sendAt)
		}
		res, err := StartSMSBroadcast(ctx, b.db, p)
		require.NoError(t, err)
		return res
	}

	// With the rule's hours a marketing campaign at 20:30 goes at once.
	res := start("before", "offer", "2026-11-23 20:30", "")
	require.Equal(t, 1, res.Queued)
	require.Nil(t, notBefore("before"))

	require.NoError(t, SaveQuietHours(ctx, b.db, b.dealer, "20:00", "09:00", 0))
	cases := []struct {
		code, template, now, sendAt string
		held                        string // not_before, "" when it goes now
	}{
		{"evening", "offer", "2026-11-23 20:30", "", "2026-11-24 09:00"},
		{"morning", "offer", "2026-11-24 08:30", "", "2026-11-24 09:00"},
		{"send-at", "offer", "2026-11-23 15:00", "2026-11-24 08:30", "2026-11-24 09:00"},
		{"send-at-day", "offer", "2026-11-23 15:00", "2026-11-24 10:00", "2026-11-24 10:00"},
		{"day", "offer", "2026-11-24 09:00", "", ""},
		{"service", "notice", "2026-11-23 20:30", "", ""},
	}
	for _, c := range cases {
		res := start(c.code, c.template, c.now, c.sendAt)
		nb := notBefore(c.code)
		if c.held == "" {
			require.Equal(t, 1, res.Queued, c.code)
			require.Nil(t, nb, c.code)
			continue
		}
		require.Equal(t, 1, res.Held, c.code)
		require.NotNil(t, nb, c.code)
		require.True(t, b.at(t, c.held).Equal(*nb), "%s: held until %v", c.code, nb)
	}
}
