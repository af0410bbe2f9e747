package telephony

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDialRejectedOutcomes(t *testing.T) {
	requireSipp(t)
	tests := []struct {
		status    int
		reason    string
		transport string
		want      Outcome
	}{
		{486, "Busy Here", "udp", OutcomeBusy},
		{600, "Busy Everywhere", "udp", OutcomeBusy},
		{603, "Decline", "udp", OutcomeDeclined},
		{408, "Request Timeout", "udp", OutcomeNoAnswer},
		{480, "Temporarily Unavailable", "udp", OutcomeUnreachable},
		{404, "Not Found", "udp", OutcomeInvalidNumber},
		{484, "Address Incomplete", "udp", OutcomeInvalidNumber},
		{604, "Does Not Exist Anywhere", "udp", OutcomeInvalidNumber},
		{500, "Server Internal Error", "udp", OutcomeTrunkFailure},
		{503, "Service Unavailable", "udp", OutcomeTrunkFailure},
		{403, "Forbidden", "udp", OutcomeTrunkFailure},
		{486, "Busy Here", "tcp", OutcomeBusy},
		{480, "Temporarily Unavailable", "tcp", OutcomeUnreachable},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+"_"+tt.transport, func(t *testing.T) {
			s := startSipp(t, "uas_status.xml", tt.transport, "status", strconv.Itoa(tt.status), "reason", tt.reason)
			g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI(), Transport: tt.transport}})
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
			require.NoError(t, err)
			require.Equal(t, tt.want, res.Outcome, res.SIPReason)
			require.Equal(t, tt.status, res.SIPStatus)
			require.Equal(t, tt.reason, res.SIPReason)
			require.False(t, res.RingAt.IsZero(), "180 seen")
			require.True(t, res.AnswerAt.IsZero())
			require.NotEmpty(t, res.CallID)
			require.NoError(t, s.Wait(t))
			require.Zero(t, g.ActiveDialogs())
		})
	}
}

func TestDialAnsweredCustomerHangsUp(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := startSipp(t, "uas_answer.xml", transport, "talk", "300", "codec", "0")
			g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI(), Transport: transport, Format: FormatE164, CallerID: "4008001234"}})
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
			require.NoError(t, err)
			require.Equal(t, OutcomeAnswered, res.Outcome)
			require.Equal(t, 200, res.SIPStatus)
			require.Equal(t, HangupCustomer, res.HangupBy)
			require.Equal(t, "+8613900000001", res.To)
			require.Contains(t, res.From, "4008001234")
			require.False(t, res.RingAt.IsZero())
			require.True(t, res.AnswerAt.After(res.RingAt))
			require.Greater(t, res.TalkDuration(), 200*time.Millisecond)
			require.NoError(t, s.Wait(t))
			require.Zero(t, g.ActiveDialogs())
		})
	}
}

func TestDialAnsweredWeHangUp(t *testing.T) {
	s := startSipp(t, "uas_answer_wait_bye.xml", "udp", "codec", "8")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001", OnAnswer: func(ctx context.Context, c *Call) error {
		c.SetHangupBy(HangupAgent)
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}})
	require.NoError(t, err)
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupAgent, res.HangupBy)
	require.NoError(t, s.Wait(t))
}

func TestDialRingTimeoutCancels(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := startSipp(t, "uas_ring_forever.xml", transport, "delay", "0")
			g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI(), Transport: transport}})
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001", RingTimeout: 1500 * time.Millisecond})
			require.NoError(t, err)
			require.Equal(t, OutcomeNoAnswer, res.Outcome)
			require.Equal(t, 487, res.SIPStatus)
			require.True(t, res.AnswerAt.IsZero())
			require.NoError(t, s.Wait(t))
		})
	}
}

func TestDialAnswerAfterCancel(t *testing.T) {
	s := startSipp(t, "uas_answer_after_cancel.xml", "udp")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001", RingTimeout: 1500 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, OutcomeNoAnswer, res.Outcome)
	require.Equal(t, 200, res.SIPStatus)
	require.Equal(t, HangupSystem, res.HangupBy)
	// sipp fails unless it got the ACK and the BYE.
	require.NoError(t, s.Wait(t))
	require.Zero(t, g.ActiveDialogs())
}

func TestDialDigestAuth(t *testing.T) {
	tests := []struct {
		name, scenario, password string
		want                     Outcome
	}{
		{"401", "uas_auth.xml", "s3cret", OutcomeAnswered},
		{"407", "uas_auth_proxy.xml", "s3cret", OutcomeAnswered},
		{"wrong password", "uas_auth.xml", "wrong", OutcomeTrunkFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSipp(t, tt.scenario, "udp", "user", "dealer1", "password", "s3cret", "codec", "0")
			g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI(), Username: "dealer1", Password: tt.password}})
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
			require.NoError(t, err)
			require.Equal(t, tt.want, res.Outcome, res.SIPReason)
			if tt.want == OutcomeTrunkFailure {
				require.Equal(t, 403, res.SIPStatus)
			}
			require.NoError(t, s.Wait(t))
		})
	}
}

func TestDialNoResponse(t *testing.T) {
	// A trunk that swallows everything.
	u, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer u.Close()
	trunk := "sip:" + u.LocalAddr().String()
	g := newTestGateway(t, Config{Trunk: Trunk{URI: trunk}, ResponseTimeout: 300 * time.Millisecond})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.Equal(t, OutcomeTrunkFailure, res.Outcome)
	require.Equal(t, 0, res.SIPStatus)
	require.Equal(t, "no response", res.SIPReason)
}

func TestDialTransportError(t *testing.T) {
	port := freePort(t) // nothing listens there
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:127.0.0.1:" + strconv.Itoa(port), Transport: "tcp"}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.Equal(t, OutcomeTrunkFailure, res.Outcome)
	require.Contains(t, res.SIPReason, "transport")
}

func TestDialBadNumber(t *testing.T) {
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:127.0.0.1:5999"}})
	_, err := g.Dial(context.Background(), DialParams{To: "13x"})
	require.ErrorContains(t, err, "not a digit")
}

func TestDialCancelledBeforeAnyResponse(t *testing.T) {
	// The caller gives up before the trunk said anything: the CANCEL waits for the 180.
	// (sipp must answer before our INVITE's first retransmission at 500 ms.)
	s := startSipp(t, "uas_ring_forever.xml", "udp", "delay", "300")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := g.Dial(ctx, DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.Equal(t, OutcomeNoAnswer, res.Outcome, res.SIPReason)
	require.Equal(t, 487, res.SIPStatus)
	require.NoError(t, s.Wait(t), "sipp got its CANCEL and the ACK of the 487")
}

func TestDialEarlyMedia(t *testing.T) {
	s := startSipp(t, "uas_early_media.xml", "udp", "pcap", sippPCMA)
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeUnreachable, res.Outcome)
	require.False(t, res.RingAt.IsZero(), "183 counts as ringing")
	require.Positive(t, res.CustomerRTP.Packets, "the announcement was received as early media")
}

func TestDialSessionRefresh(t *testing.T) {
	s := startSipp(t, "uas_session_refresh.xml", "udp", "codec", "0")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
	require.NoError(t, err)
	// sipp fails unless the re-INVITE and the UPDATE got a 200 echoing Session-Expires.
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupCustomer, res.HangupBy)
}

func TestDialThroughOutboundProxy(t *testing.T) {
	s := startSipp(t, "uas_answer.xml", "udp", "talk", "100", "codec", "0")
	// The trunk's name does not resolve: everything must go through the proxy.
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:trunk.invalid:5060", OutboundProxy: "127.0.0.1:" + strconv.Itoa(s.Port)}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome, res.SIPReason)
}

func TestDialCallerIDAndNumberFormat(t *testing.T) {
	s := startSipp(t, "uas_identity.xml", "udp", "caller", "4008001234", "called", `\+8613900000001`)
	tr, err := TrunkFromURI(s.TrunkURI() + ";format=e164;caller=4008001234;pai=1")
	require.NoError(t, err)
	g := newTestGateway(t, Config{Trunk: tr})
	res, err := g.Dial(context.Background(), DialParams{To: "139 0000 0001"})
	require.NoError(t, err)
	// sipp fails the call unless From, P-Asserted-Identity and the Request-URI match.
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeBusy, res.Outcome)
	require.Equal(t, "+8613900000001", res.To)
}

func TestDialRefreshesSessionWhenAskedTo(t *testing.T) {
	s := startSipp(t, "uas_session_timer_uac.xml", "udp", "codec", "0")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	// Bounded: without refreshes sipp gives up on the call and never hangs up.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := g.Dial(ctx, DialParams{To: "13900000001"})
	require.NoError(t, err)
	require.Equal(t, HangupCustomer, res.HangupBy, "sipp hung up after two refreshes")
	// sipp fails unless two UPDATE refreshes came within its 2 s session interval.
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, HangupCustomer, res.HangupBy)
	require.GreaterOrEqual(t, res.EndAt.Sub(res.AnswerAt), 1500*time.Millisecond, "the call lasted through two refreshes")
}
