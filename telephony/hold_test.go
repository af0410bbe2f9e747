package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
)

// TestAgentPhoneHold: an agent's phone that puts the gateway on hold (a re-INVITE with
// a=sendonly) is answered recvonly, not sendrecv, and the gateway's media for it stops
// sending; the phone's resume (sendrecv) is answered sendrecv.
func TestAgentPhoneHold(t *testing.T) {
	creds := mapCredentials{"a1": {Username: "a1", HA1: HA1("a1", "huifang", "p1"), UserID: 1}}
	g := newTestGateway(t, Config{Trunk: Trunk{URI: "sip:trunk@127.0.0.1:9"}, Credentials: creds, RecordingsDir: t.TempDir()})
	ph, err := newPhones(t).login(context.Background(), g.Addr(), "a1", "p1")
	require.NoError(t, err)
	defer ph.logout()
	waitAgent(t, g, "a1")

	reinvite := func(dir media.Direction) media.Direction {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offer := media.BuildSDP(ph.sess.LocalAddr(), media.Origin{ID: 1, Version: uint64(dir) + 1}, []media.Codec{media.PCMU}, media.DTMFPayloadType, dir)
		req := sip.NewRequest(sip.INVITE, ph.dlg.InviteRequest.Recipient)
		ct := sip.ContentTypeHeader("application/sdp")
		req.AppendHeader(&ct)
		req.SetBody(offer)
		res, err := ph.dlg.Do(ctx, req)
		require.NoError(t, err)
		require.Equal(t, 200, int(res.StatusCode))
		require.NoError(t, ph.dlg.WriteRequest(sip.NewRequest(sip.ACK, ph.dlg.InviteRequest.Recipient)))
		answer, err := media.ParseSDP(res.Body())
		require.NoError(t, err)
		return answer.Direction
	}
	require.Equal(t, media.RecvOnly, reinvite(media.SendOnly), "a hold is answered recvonly")
	al := g.agents.get("a1")
	require.NotNil(t, al)
	require.Equal(t, media.SendOnly, al.leg.media.Direction(), "the gateway sends nothing to a phone that holds")
	require.Equal(t, media.Inactive, reinvite(media.Inactive))
	require.Equal(t, media.SendRecv, reinvite(media.SendRecv), "resumed")
	require.Equal(t, media.SendRecv, al.leg.media.Direction())
}
