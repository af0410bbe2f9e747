package media

// G.711 coding (ITU-T G.711), PCMU (mu-law, payload type 0) and PCMA (A-law, payload type 8).

// ulawDecodeTable and alawDecodeTable are computed once and never written afterwards.
var (
	ulawDecodeTable = buildTable(ulawDecode)
	alawDecodeTable = buildTable(alawDecode)
)

func buildTable(f func(byte) int16) [256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = f(byte(i))
	}
	return t
}

// DecodeULaw returns the 16-bit linear sample of a mu-law byte.
func DecodeULaw(b byte) int16 { return ulawDecodeTable[b] }

// DecodeALaw returns the 16-bit linear sample of an A-law byte.
func DecodeALaw(b byte) int16 { return alawDecodeTable[b] }

func ulawDecode(u byte) int16 {
	u = ^u
	t := (int(u&0x0f) << 3) + 0x84
	t <<= (uint(u) & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func alawDecode(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0f) << 4
	seg := (int(a) & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= uint(seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// EncodeULaw returns the mu-law byte of a 16-bit linear sample.
func EncodeULaw(s int16) byte {
	const bias = 0x84
	const clip = 32635
	v := int(s)
	sign := 0
	if v < 0 {
		v = -v
		sign = 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (uint(exp) + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// EncodeALaw returns the A-law byte of a 16-bit linear sample.
func EncodeALaw(s int16) byte {
	v := int(s)
	sign := 0x80
	if v < 0 {
		v = -v - 1
		sign = 0
	}
	if v > 32767 {
		v = 32767
	}
	var out int
	if v < 256 {
		out = v >> 4
	} else {
		exp := 1
		for t := v >> 8; t > 1; t >>= 1 {
			exp++
		}
		out = exp<<4 | (v>>(uint(exp)+3))&0x0f
	}
	return byte((out | sign) ^ 0x55)
}

// Codec is a G.711 variant, named by its RTP payload type.
type Codec uint8

// The static payload types of G.711 (RFC 3551).
const (
	PCMU Codec = 0
	PCMA Codec = 8
)

// String returns the codec's SDP encoding name.
func (c Codec) String() string {
	if c == PCMA {
		return "PCMA"
	}
	return "PCMU"
}

// Decode appends the linear samples of payload to dst.
func (c Codec) Decode(dst []int16, payload []byte) []int16 {
	t := &ulawDecodeTable
	if c == PCMA {
		t = &alawDecodeTable
	}
	for _, b := range payload {
		dst = append(dst, t[b])
	}
	return dst
}

// Encode appends the coded bytes of samples to dst.
func (c Codec) Encode(dst []byte, samples []int16) []byte {
	enc := EncodeULaw
	if c == PCMA {
		enc = EncodeALaw
	}
	for _, s := range samples {
		dst = append(dst, enc(s))
	}
	return dst
}
