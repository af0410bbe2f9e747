package notify

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

func TestTemplateVarNames(t *testing.T) {
	for body, want := range map[string][]string{
		"{customer}，您的爱车{plate}将于{due_day}到期，{customer}": {"customer", "plate", "due_day"},
		"没有变量": nil,
	} {
		require.Equal(t, want, TemplateVarNames(body), body)
	}
}

// TestProviderGetsTemplateAndVars checks that a provider gets what a cloud SMS needs:
// our template, the provider's code for it, the variables in the template's order and
// the dealer's signature, through the batch path and the one-message path.
func TestProviderGetsTemplateAndVars(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	q := store.New(b.db)
	require.NoError(t, q.SetDealerSMSSignature(ctx, store.SetDealerSMSSignatureParams{Signature: "测试店", ID: b.dealer}))
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "offer", Kind: "service", Title: "保养优惠",
		Body: "{customer}，{model}车主本月保养八折，{dealer}。", ProviderCode: " SMS_123456789 "}, 0))
	require.ErrorContains(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "offer", Kind: "service",
		Body: "{customer}", ProviderCode: "SMS 1"}, 0), "provider template code")
	tmpl, err := LoadSMSTemplate(ctx, b.db, b.dealer, "offer")
	require.NoError(t, err)
	require.Equal(t, "SMS_123456789", tmpl.ProviderCode)

	ok := b.smsCust(t, "王", "13900000031", true, "")
	now := b.at(t, "2026-11-23 10:00")
	_, err = StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "offer:1", Template: "offer",
		Day: day("2026-11-23"), Audience: SMSAudience{CustomerIDs: []int64{ok}}, Now: now})
	require.NoError(t, err)
	var id int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT id FROM sms_messages WHERE customer_id = $1`, ok).Scan(&id))

	p := newCountingProvider()
	s := &ProviderSender{DB: b.db, Provider: p, Now: func() time.Time { return now }}
	require.NoError(t, s.SendBatch(ctx, []int64{id}))
	m := p.last[id]
	require.Equal(t, "offer", m.Template)
	require.Equal(t, "SMS_123456789", m.ProviderTemplate)
	require.Equal(t, "测试店", m.Sign)
	require.Equal(t, "13900000031", m.Phone)
	require.Equal(t, []string{"customer", "model", "dealer"}, m.VarNames)
	require.Equal(t, []string{"王先生", "轩逸", m.Vars["dealer"]}, m.Params())
	require.NotEmpty(t, m.Vars["dealer"])
	require.Equal(t, "【测试店】王先生，轩逸车主本月保养八折，"+m.Vars["dealer"]+"。", m.Body)

	// A leave-store SMS (the default template, no provider code) by the one-message path.
	left := now.Add(-time.Minute)
	res := b.recordVisit(t, queue.ShowroomVisit{Phone: "13900000032", Name: "李", Title: "女士", ArrivedAt: now.Add(-time.Hour), LeftAt: &left})
	require.NoError(t, s.Send(ctx, SMS{ID: res.SMSID}))
	m = p.last[res.SMSID]
	require.Equal(t, leaveStoreTemplate, m.Template)
	require.Empty(t, m.ProviderTemplate)
	require.Equal(t, []string{"customer", "dealer"}, m.VarNames)
	require.Equal(t, "李女士", m.Params()[0])
	require.Equal(t, "测试店", m.Sign)
}
