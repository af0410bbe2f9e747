package notify

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireField asserts err is a *FieldError on field.
func requireField(t testing.TB, err error, field string) {
	t.Helper()
	var fe *FieldError
	require.True(t, errors.As(err, &fe), "want a FieldError on %s, got %v", field, err)
	require.Equal(t, field, fe.Field, fe.Msg)
}

func TestTemplateAndSignatureRulesNameTheirField(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	for _, tc := range []struct {
		t     SMSTemplate
		field string
	}{
		{SMSTemplate{Code: "Offer!", Kind: "service", Body: "您好"}, "code"},
		{SMSTemplate{Code: "offer", Kind: "promo", Body: "您好"}, "kind"},
		{SMSTemplate{Code: "offer", Kind: "service", Body: "【店】您好"}, "body"},
		{SMSTemplate{Code: "offer", Kind: "service", Body: "{who}您好"}, "body"},
		{SMSTemplate{Code: "offer", Kind: "service", Body: "您好", ProviderCode: "SMS 1"}, "provider_code"},
	} {
		requireField(t, SaveSMSTemplate(ctx, b.db, b.dealer, tc.t, b.agents[0]), tc.field)
	}
	_, err := SaveSMSSignature(ctx, b.db, b.dealer, "【】", b.agents[0])
	requireField(t, err, "signature")
	_, err = SaveSMSSignature(ctx, b.db, b.dealer, "一二三四五六七八九十一二三四五六七八九十一", b.agents[0])
	requireField(t, err, "signature")
	var audits int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&audits))
	require.Zero(t, audits, "nothing stored for bad input")

	sig, err := SaveSMSSignature(ctx, b.db, b.dealer, " 【星辰汽车】 ", b.agents[0])
	require.NoError(t, err)
	require.Equal(t, "星辰汽车", sig)
	require.NoError(t, SaveSMSTemplate(ctx, b.db, b.dealer, SMSTemplate{Code: "offer", Kind: "service", Body: " {customer}您好 "}, 0))
	tmpl, err := LoadSMSTemplate(ctx, b.db, b.dealer, "offer")
	require.NoError(t, err)
	require.Equal(t, "{customer}您好", tmpl.Body)
	rows, err := b.db.Query(ctx, `SELECT action, coalesce(user_id, 0) FROM audit_log ORDER BY id`)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var action string
		var user int64
		require.NoError(t, rows.Scan(&action, &user))
		got = append(got, fmt.Sprintf("%s by %d", action, user))
	}
	require.Equal(t, []string{fmt.Sprintf("sms_signature.save by %d", b.agents[0]), "sms_template.save by 0"}, got,
		"each save audited with its user (0: the command line)")
}

func TestBroadcastCodeRules(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	for _, code := range []string{"", "-x", "a b", "x/y"} {
		requireField(t, ValidateBroadcastCode(code), "code")
	}
	require.NoError(t, ValidateBroadcastCode("birthday:2026-11-23"))
	c := b.smsCust(t, "王", "13900000071", true, "")
	_, err := StartMessageCallBroadcast(ctx, b.db, MessageCallBroadcastParams{DealerID: b.dealer, Code: "mc1", PromptPath: "/p.wav", CustomerIDs: []int64{c}})
	require.NoError(t, err)
	_, err = StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "mc1", Template: "holiday",
		Day: day("2026-11-23"), Now: b.at(t, "2026-11-23 10:00"), Audience: SMSAudience{CustomerIDs: []int64{c}}})
	requireField(t, err, "code")
	require.ErrorContains(t, err, "message-call broadcast")
	_, err = CheckSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: "s1", Template: "nope"})
	requireField(t, err, "template")
}

// TestPreviewCountsWhomTheStartReaches: the audience the preview resolves is the one the
// start sends to, for each kind of audience.
func TestPreviewCountsWhomTheStartReaches(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	d := day("2026-11-23")
	now := b.at(t, "2026-11-23 10:00")
	a := b.smsCust(t, "王", "13900000081", true, "1980-11-23")
	bb := b.smsCust(t, "李", "13900000082", true, "1990-11-23")
	b.smsCust(t, "赵", "13900000083", true, "1990-11-24")
	for i, in := range []AudienceInput{
		{Kind: AudienceBirthdays},
		{Kind: AudienceCustomers, Customers: fmt.Sprintf("%d, 139 0000 0082\n999999、13900000099", a)},
	} {
		aud, err := ResolveAudience(ctx, b.db, b.dealer, d, in)
		require.NoError(t, err)
		require.ElementsMatch(t, []int64{a, bb}, aud.CustomerIDs, in.Kind)
		res, err := StartSMSBroadcast(ctx, b.db, SMSBroadcastParams{DealerID: b.dealer, Code: fmt.Sprintf("p%d", i), Template: "holiday",
			Day: d, Now: now, Audience: aud.SMS})
		require.NoError(t, err)
		require.Equal(t, len(aud.CustomerIDs), res.Queued+res.Held+res.Suppressed+res.Existing+res.Skipped, in.Kind)
		if in.Kind == AudienceCustomers {
			require.Equal(t, []string{"999999", "13900000099"}, aud.Unknown)
		}
	}
	for _, tc := range []struct {
		in    AudienceInput
		field string
	}{
		{AudienceInput{Kind: "everyone"}, "audience"},
		{AudienceInput{Kind: AudienceReasons}, "reasons"},
		{AudienceInput{Kind: AudienceReasons, Reasons: []string{"nope"}}, "reasons"},
		{AudienceInput{Kind: AudienceReasons, Reasons: []string{"birthday"}}, "reasons"},
		{AudienceInput{Kind: AudienceCustomers, Customers: "abc"}, "customers"},
		{AudienceInput{Kind: AudienceCustomers, Customers: "999999"}, "customers"},
	} {
		_, err := ResolveAudience(ctx, b.db, b.dealer, d, tc.in)
		requireField(t, err, tc.field)
	}
}
