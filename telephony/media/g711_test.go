package media

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestG711RoundTrip(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		for b := 0; b < 256; b++ {
			s := c.Decode(nil, []byte{byte(b)})[0]
			got := c.Encode(nil, []int16{s})[0]
			// mu-law has two codes for zero (0x7f and 0xff); both decode to 0.
			if c == PCMU && s == 0 {
				continue
			}
			require.Equal(t, byte(b), got, "%s byte %#x decodes to %d", c, b, s)
		}
	}
}

func TestG711KnownValues(t *testing.T) {
	require.Equal(t, int16(-32124), DecodeULaw(0x00))
	require.Equal(t, int16(32124), DecodeULaw(0x80))
	require.Equal(t, int16(0), DecodeULaw(0xff))
	require.Equal(t, int16(-5504), DecodeALaw(0x00))
	require.Equal(t, int16(8), DecodeALaw(0xd5))
	require.Equal(t, byte(0xd5), EncodeALaw(0))
	require.Equal(t, byte(0xff), EncodeULaw(0))
}
