package telephony

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
)

const sippPCMA = "/usr/share/sip-tester/g711a.pcap"

func TestDialRecordsCustomerAudio(t *testing.T) {
	s := startSipp(t, "uas_answer_pcap.xml", "udp", "talk", "1500", "codec", "8", "pcap", sippPCMA)
	dir := t.TempDir()
	g := newTestGateway(t, Config{Trunk: Trunk{URI: s.TrunkURI()}})
	res, err := g.Dial(context.Background(), DialParams{To: "13900000001", Record: true, RecordDir: dir})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, OutcomeAnswered, res.Outcome)
	require.NotEmpty(t, res.Recording)

	left, right, err := media.ReadStereoWAV(res.Recording)
	require.NoError(t, err)
	require.Greater(t, len(left), media.SampleRate, "at least a second of audio")
	require.Greater(t, media.RMS(left), 300.0, "the customer's voice is on the left")
	require.Zero(t, media.RMS(right), "we sent nothing, so the right channel is silent")
}
