package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSetSMSConsent(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	const phone = "13912340000"
	marketing := b.smsMsg(t, phone, "marketing")
	service := b.smsMsg(t, phone, "service")

	bad := []struct {
		name string
		p    ConsentParams
		want string
	}{
		{"phone", ConsentParams{Phone: "12345", State: ConsentOptedIn, Source: "director", Detail: "x"}, "phone: a mobile number has 11 digits"},
		{"state", ConsentParams{Phone: phone, State: "maybe", Source: "director", Detail: "x"}, `state "maybe"`},
		{"source", ConsentParams{Phone: phone, State: ConsentOptedIn, Source: "web", Detail: "x"}, `source "web"`},
		{"no reason", ConsentParams{Phone: phone, State: ConsentOptedIn, Source: "director", Detail: " "}, "say why"},
		{"long reason", ConsentParams{Phone: phone, State: ConsentOptedIn, Source: "director", Detail: strings.Repeat("长", 201)}, "at most 200"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.DealerID = b.dealer
			_, err := SetSMSConsent(ctx, b.db, tc.p)
			require.ErrorContains(t, err, tc.want)
		})
	}
	hist, err := SMSConsentHistory(ctx, b.db, b.dealer, phone)
	require.NoError(t, err)
	require.Empty(t, hist, "refused input stores nothing")

	// An opt-out suppresses the queued marketing SMS, not the service one.
	n, err := SetSMSConsent(ctx, b.db, ConsentParams{DealerID: b.dealer, Phone: phone, State: ConsentOptedOut, Source: "agent", Detail: "电话中要求不再发短信"})
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	status := func(id int64) string {
		var s string
		require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&s))
		return s
	}
	require.Equal(t, "suppressed", status(marketing))
	require.Equal(t, "queued", status(service))

	// Opting in again is recorded, with the history kept as proof.
	_, err = SetSMSConsent(ctx, b.db, ConsentParams{DealerID: b.dealer, Phone: phone, State: ConsentOptedIn, Source: "director", Detail: "客户来电要求恢复"})
	require.NoError(t, err)
	hist, err = SMSConsentHistory(ctx, b.db, b.dealer, phone)
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, ConsentOptedIn, hist[0].State)
	require.Equal(t, "director", hist[0].Source)
	require.Equal(t, ConsentOptedOut, hist[1].State)
	var audits int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'sms_consent.set'`).Scan(&audits))
	require.Equal(t, 2, audits)

	// After opting in, a new marketing message to the number is sent (at 10:00).
	p := newCountingProvider()
	s := &ProviderSender{DB: b.db, Provider: p, Now: func() time.Time { return b.at(t, "2026-11-23 10:00") }}
	again := b.smsMsg(t, phone, "marketing")
	require.NoError(t, s.Send(ctx, SMS{ID: again, DealerID: b.dealer, Phone: phone}))
	require.Equal(t, "sent", status(again))
	require.EqualValues(t, 1, p.total.Load())
}

// TestOptOutMatchesTheNumberItSuppresses: an opt-out written in any of the forms people
// and gateways use (+86, 86, 0086, spaces, dashes) is stored under the normalised number
// and suppresses the marketing SMS queued to it.
func TestOptOutMatchesTheNumberItSuppresses(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	forms := []struct{ stored, given string }{
		{"13912340001", "+86 139 1234 0001"},
		{"13912340002", "+86-139-1234-0002"},
		{"13912340003", "86 13912340003"},
		{"13912340004", "8613912340004"},
		{"13912340005", "0086 139-1234-0005"},
		{"13912340006", "139 1234 0006"},
		{"13912340007", "139-1234-0007"},
		{"02088880008", "+86 20 8888 0008"},
	}
	for _, f := range forms {
		t.Run(f.given, func(t *testing.T) {
			id := b.smsMsg(t, f.stored, "marketing")
			n, err := SetSMSConsent(ctx, b.db, ConsentParams{DealerID: b.dealer, Phone: f.given, State: ConsentOptedOut, Source: "director", Detail: "客户要求"})
			require.NoError(t, err)
			require.EqualValues(t, 1, n, "the queued marketing SMS is suppressed")
			var status string
			require.NoError(t, b.db.QueryRow(ctx, `SELECT status FROM sms_messages WHERE id = $1`, id).Scan(&status))
			require.Equal(t, "suppressed", status)
			hist, err := SMSConsentHistory(ctx, b.db, b.dealer, f.given)
			require.NoError(t, err)
			require.Len(t, hist, 1, "the history is found by the same form")
			var stored string
			require.NoError(t, b.db.QueryRow(ctx, `SELECT phone FROM sms_consent WHERE dealer_id = $1 AND phone = $2`, b.dealer, f.stored).Scan(&stored))
		})
	}
}
