package telephony

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRewriteNumber(t *testing.T) {
	tests := []struct {
		in   string
		f    NumberFormat
		want string
	}{
		{"13900000001", FormatE164, "+8613900000001"},
		{"+8613900000001", FormatE164, "+8613900000001"},
		{"008613900000001", FormatE164, "+8613900000001"},
		{"021-1234 5678", FormatE164, "+862112345678"},
		{"+8613900000001", FormatNational, "13900000001"},
		{"+862112345678", FormatNational, "02112345678"},
		{"02112345678", FormatNational, "02112345678"},
		{"13900000001", FormatNational, "13900000001"},
		{"+14155550100", FormatNational, "0014155550100"},
		{"+14155550100", FormatE164, "+14155550100"},
		{"139 0000 0001", FormatAsIs, "13900000001"},
	}
	for _, tt := range tests {
		got, err := RewriteNumber(tt.in, tt.f, "86")
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, "%s as %q", tt.in, tt.f)
	}
}

func TestRewriteNumberRejects(t *testing.T) {
	for _, in := range []string{"", "+", "139abc", "sip:x@y", "1234567890123456789012"} {
		_, err := RewriteNumber(in, FormatE164, "86")
		require.Error(t, err, in)
	}
	_, err := RewriteNumber("13900000001", "weird", "86")
	require.ErrorContains(t, err, "unknown number format")
}

func TestOutcomeForStatus(t *testing.T) {
	tests := map[int]Outcome{
		200: OutcomeAnswered, 486: OutcomeBusy, 600: OutcomeBusy, 603: OutcomeDeclined,
		408: OutcomeNoAnswer, 480: OutcomeUnreachable, 404: OutcomeInvalidNumber,
		484: OutcomeInvalidNumber, 604: OutcomeInvalidNumber, 410: OutcomeInvalidNumber, 500: OutcomeTrunkFailure,
		503: OutcomeTrunkFailure, 403: OutcomeTrunkFailure, 0: OutcomeTrunkFailure,
	}
	for status, want := range tests {
		require.Equal(t, want, OutcomeForStatus(status), "status %d", status)
	}
	require.False(t, OutcomeTrunkFailure.CustomerAttempt())
	require.True(t, OutcomeBusy.CustomerAttempt())
}

func TestTrunkFromURI(t *testing.T) {
	tr, err := TrunkFromURI("sip:trunk.example.com:5080;transport=TCP;proxy=10.0.0.1:5060;caller=4008001234;format=e164;country=86;max_calls=30;cps=5.5;pai=1")
	require.NoError(t, err)
	require.Equal(t, Trunk{URI: "sip:trunk.example.com:5080", Transport: "tcp", OutboundProxy: "10.0.0.1:5060",
		CallerID: "4008001234", Format: FormatE164, CountryCode: "86", MaxConcurrent: 30, MaxCPS: 5.5, AssertIdentity: true}, tr)
	tr, err = TrunkFromURI("sip:127.0.0.1:5070")
	require.NoError(t, err)
	require.Equal(t, Trunk{URI: "sip:127.0.0.1:5070"}, tr)
	for _, bad := range []string{"http://x", "sip:x;cps=fast", "sip:x;max_calls=-1", "sip:x;colour=red", "sip:x;pai=maybe"} {
		_, err := TrunkFromURI(bad)
		require.Error(t, err, bad)
	}
}
