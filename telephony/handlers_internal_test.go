package telephony

import (
	"testing"

	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
)

func TestSessionExpiresAnswer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"1800", "1800;refresher=uac"},
		{"1800;refresher=uac", "1800;refresher=uac"},
		{"90;refresher=uas", "90;refresher=uac"}, // we never refresh: the peer must
		{" 600 ; refresher=uas", "600;refresher=uac"},
	} {
		req := sip.NewRequest(sip.UPDATE, sip.Uri{User: "x", Host: "127.0.0.1"})
		if tc.in != "" {
			req.AppendHeader(sip.NewHeader("Session-Expires", tc.in))
		}
		hs := sessionExpires(req)
		if tc.want == "" {
			require.Empty(t, hs, tc.in)
			continue
		}
		require.Len(t, hs, 2)
		require.Equal(t, tc.want, hs[0].Value(), tc.in)
		require.Equal(t, "timer", hs[1].Value())
	}
}
