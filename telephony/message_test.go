package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
	"github.com/huifang/huifang/telephony/simcarrier"
)

func TestMessageCallCollectsDigit(t *testing.T) {
	prompt := media.Tone(440, 1500, 6000)
	tests := []struct {
		name     string
		scenario string
		keys     []string
		want     string
	}{
		{"rfc4733", "uas_dtmf_rfc4733.xml", []string{"codec", "0", "wait", "300", "pcap", "/usr/share/sip-tester/dtmf_2833_5.pcap"}, "5"},
		{"rfc4733 star", "uas_dtmf_rfc4733.xml", []string{"codec", "8", "wait", "100", "pcap", "/usr/share/sip-tester/dtmf_2833_star.pcap"}, "*"},
		{"sip info", "uas_dtmf_info.xml", []string{"codec", "0", "wait", "300", "digit", "7"}, "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSipp(t, tt.scenario, "udp", tt.keys...)
			g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
			res, err := g.MessageCall(context.Background(), MessageParams{
				Dial: DialParams{To: "13900000001"}, Prompt: prompt, DigitTimeout: 3 * time.Second,
			})
			require.NoError(t, err)
			require.NoError(t, s.Wait(t))
			require.Equal(t, OutcomeAnswered, res.Outcome)
			require.Equal(t, "message", res.Kind)
			require.Equal(t, tt.want, res.DTMF)
			require.Equal(t, HangupSystem, res.HangupBy)
		})
	}
}

func TestMessageCallNoDigit(t *testing.T) {
	s := startSipp(t, "uas_answer_wait_bye.xml", "udp", "codec", "0")
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.MessageCall(context.Background(), MessageParams{
		Dial: DialParams{To: "13900000001"}, Prompt: media.Tone(440, 200, 6000), DigitTimeout: 200 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Empty(t, res.DTMF)
}

// TestMessageCallSimCarrierPressesKey checks that the simulated carrier's customers press
// keys, so message-call campaigns work in the demo without a phone.
func TestMessageCallSimCarrierPressesKey(t *testing.T) {
	cfg := simCarrierAnswering(5 * time.Second)
	cfg.Keys, cfg.KeyAfter = "9", 300*time.Millisecond
	c := newTestCarrier(t, cfg)
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI()}})
	res, err := g.MessageCall(context.Background(), MessageParams{
		Dial: DialParams{To: "13900000001"}, Prompt: media.Tone(440, 1500, 6000), DigitTimeout: 2 * time.Second,
	})
	require.NoError(t, err)
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.Equal(t, "9", res.DTMF)

	_, err = simcarrier.New(simcarrier.Config{Keys: "1x"})
	require.ErrorContains(t, err, "'x'")
}
