package notify

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestSMSSegments(t *testing.T) {
	for _, c := range []struct {
		text         string
		chars, parts int
	}{
		{"", 0, 0},
		{"Hello", 5, 1},
		{strings.Repeat("a", 160), 160, 1},
		{strings.Repeat("a", 161), 161, 2},
		{strings.Repeat("a", 306), 306, 2},
		{strings.Repeat("a", 307), 307, 3},
		{strings.Repeat("{", 80), 160, 1}, // escaped characters count twice
		{strings.Repeat("好", 70), 70, 1},
		{strings.Repeat("好", 71), 71, 2},
		{strings.Repeat("好", 134), 134, 2},
		{strings.Repeat("好", 135), 135, 3},
		{"a好", 2, 1}, // one Chinese character makes the whole text UCS-2
		{"😀", 2, 1},  // outside the BMP: two UCS-2 units
		{strings.Repeat("好", 69) + "😀", 71, 2},
	} {
		chars, parts := SMSSegments(c.text)
		require.Equal(t, c.chars, chars, "%q chars", c.text)
		require.Equal(t, c.parts, parts, "%q parts", c.text)
	}
}

func TestRenderSMS(t *testing.T) {
	vars := map[string]string{"customer": "王先生", "dealer": "广州4S店", "plate": "粤A12345", "due_day": "12月1日"}
	got, err := RenderSMS("{customer}，您的爱车{plate}将于{due_day}到期保养。", "marketing", "广州4S店", vars)
	require.NoError(t, err)
	require.Equal(t, "【广州4S店】王先生，您的爱车粤A12345将于12月1日到期保养。回TD退订", got)

	got, err = RenderSMS("{customer}，感谢光临{dealer}！", "service", "【广州4S店】", vars)
	require.NoError(t, err)
	require.Equal(t, "【广州4S店】王先生，感谢光临广州4S店！", got, "service: no opt-out line; brackets not doubled")

	for body, want := range map[string]string{
		"":                 "empty",
		"{customer} {foo}": "unknown variable {foo}",
		"【店】你好":            "signature",
		"{customer":        "unbalanced",
		"{model}你好":        "no value for {model}",
	} {
		_, err := RenderSMS(body, "service", "店", vars)
		require.ErrorContains(t, err, want, body)
	}
	_, err = RenderSMS("你好", "service", " ", vars)
	require.ErrorContains(t, err, "signature is empty")
}

// smsCust inserts a customer with a vehicle (plate) and returns its id.
func (b *workBundle) smsCust(t testing.TB, name, phone string, valid bool, birthday string) int64 {
	t.Helper()
	ctx := context.Background()
	o := storetest.CustomerOpts{DealerID: b.dealer, Name: name, Phone: phone, Invalid: !valid}
	if birthday != "" {
		bd := day(birthday)
		o.Birthday = &bd
	}
	id := storetest.Customer(ctx, t, b.db, o)
	storetest.Vehicle(ctx, t, b.db, storetest.VehicleOpts{DealerID: b.dealer, CustomerID: id, Plate: fmt.Sprintf("粤A%05d", id)})
	return id
}

func TestStartSMSCampaign(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	q := store.New(b.db)
	require.NoError(t, q.SetDealerSMSSignature(ctx, store.SetDealerSMSSignatureParams{Signature: "测试店", ID: b.dealer}))
	ok := b.smsCust(t, "王", "13900000021", true, "")
	dnc := b.smsCust(t, "李", "13900000022", true, "")
	opted := b.smsCust(t, "张", "13900000023", true, "")
	invalid := b.smsCust(t, "赵", "13900000024", false, "")
	_, err := b.db.Exec(ctx, `INSERT INTO do_not_call (dealer_id, phone) VALUES ($1, '13900000022')`, b.dealer)
	require.NoError(t, err)
	require.NoError(t, q.SetSMSConsent(ctx, store.SetSMSConsentParams{DealerID: b.dealer, Phone: "13900000023",
		State: "opted_out", Source: "sms_reply", Detail: "退订", At: time.Now()}))
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "offer", Kind: "marketing", Title: "保养优惠",
		Body: "{customer}，{model}车主本月保养八折。"}, 0))
	require.ErrorContains(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "bad", Kind: "marketing", Body: "{who}"}, 0), "unknown variable")

	p := SMSBroadcastParams{DealerID: b.dealer, Code: "offer:2026-11", Template: "offer", Day: day("2026-11-23"),
		Audience: SMSAudience{CustomerIDs: []int64{ok, dnc, opted, invalid}}, Now: b.at(t, "2026-11-23 10:00")}
	res, err := StartSMSBroadcast(ctx, b.db, p)
	require.NoError(t, err)
	require.Equal(t, 1, res.Queued)
	require.Equal(t, 3, res.Suppressed)
	var body, status string
	var parts int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT body, status, parts FROM sms_messages WHERE customer_id = $1`, ok).Scan(&body, &status, &parts))
	require.Equal(t, "【测试店】王先生，轩逸车主本月保养八折。回TD退订", body)
	require.Equal(t, "queued", status)
	require.Equal(t, 1, parts)
	require.Equal(t, []string{TypeSMSBatch}, b.outboxTypes(t))

	again, err := StartSMSBroadcast(ctx, b.db, p)
	require.NoError(t, err)
	require.Equal(t, 4, again.Existing, "a second start queues nobody twice")
	require.Equal(t, []string{TypeSMSBatch}, b.outboxTypes(t))

	// Started at 21:30 the marketing messages wait for 08:00.
	late := p
	late.Code, late.Now = "offer:late", b.at(t, "2026-11-23 21:30")
	res, err = StartSMSBroadcast(ctx, b.db, late)
	require.NoError(t, err)
	require.Equal(t, 1, res.Held)
	var nb time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT not_before FROM sms_messages WHERE idempotency_key = $1`,
		fmt.Sprintf("campaign:offer:late:%d", ok)).Scan(&nb))
	require.True(t, b.at(t, "2026-11-24 08:00").Equal(nb))

	stats, err := LoadBroadcastStats(ctx, b.db, b.dealer, time.Time{})
	require.NoError(t, err)
	require.Len(t, stats.SMS, 2)
	require.Equal(t, "offer:2026-11", stats.SMS[0].Broadcast)
	require.EqualValues(t, 4, stats.SMS[0].Total)
	require.EqualValues(t, 3, stats.SMS[0].Suppressed)
	require.EqualValues(t, 1, stats.SMS[0].Pending)
}

func TestDailySMSCampaigns(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	bday := b.smsCust(t, "周", "13900000031", true, "1990-11-23")
	leap := b.smsCust(t, "吴", "13900000032", true, "1992-02-29")
	_ = b.smsCust(t, "郑", "13900000033", true, "1990-11-24")
	// An insurance end date 45 days ahead makes the queue's insurance reason due today.
	ins := b.smsCust(t, "孙", "13900000034", true, "")
	_, err := b.db.Exec(ctx, `UPDATE vehicles SET insurance_end = $2, delivery_day = '2024-01-10' WHERE customer_id = $1`, ins, day("2027-01-07"))
	require.NoError(t, err)
	_, err = queue.Build(ctx, b.db, queue.BuildParams{DealerID: b.dealer, Day: day("2026-11-23")})
	require.NoError(t, err)

	res, err := DailySMSBroadcasts(ctx, b.db, b.dealer, day("2026-11-23"), b.at(t, "2026-11-23 06:00"))
	require.NoError(t, err)
	require.Equal(t, 1, res["birthday"].Held, "held until 09:00")
	require.Equal(t, 1, res["insurance"].Held, "06:00 is inside the quiet hours")
	var nb time.Time
	var body string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT not_before, body FROM sms_messages WHERE customer_id = $1`, bday).Scan(&nb, &body))
	require.True(t, b.at(t, "2026-11-23 09:00").Equal(nb))
	require.Contains(t, body, "周先生")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT body FROM sms_messages WHERE customer_id = $1`, ins).Scan(&body))
	require.Contains(t, body, "1月7日")
	require.Contains(t, body, fmt.Sprintf("粤A%05d", ins))

	// 29 February birthdays are greeted on 28 February in other years.
	res, err = DailySMSBroadcasts(ctx, b.db, b.dealer, day("2027-02-28"), b.at(t, "2027-02-28 10:00"))
	require.NoError(t, err)
	require.Equal(t, 1, res["birthday"].Queued)
	var n int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE customer_id = $1`, leap).Scan(&n))
	require.Equal(t, 1, n)
}
