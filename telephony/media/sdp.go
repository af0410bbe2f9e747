package media

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DTMFPayloadType is the dynamic payload type we offer for RFC 4733 telephone events.
const DTMFPayloadType = 101

// SDP is the part of a session description (RFC 4566) a G.711 call needs: where to send
// audio, which codecs the peer takes, and the telephone-event payload type.
type SDP struct {
	// Addr is the connection address and port of the audio stream.
	Addr *net.UDPAddr
	// Codecs are the G.711 codecs in the peer's order of preference.
	Codecs []Codec
	// DTMF is the telephone-event payload type, or 0 when the peer offers none.
	DTMF uint8
}

// ErrNoAudio means the session description has no usable G.711 audio stream.
var ErrNoAudio = errors.New("sdp: no G.711 audio stream")

// ParseSDP reads the first audio stream of body.
func ParseSDP(body []byte) (*SDP, error) {
	var (
		host   string
		port   = -1
		pts    []string
		dtmf   uint8
		inAud  bool
		seenM  bool
		rtpmap = map[string]string{}
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'c':
			f := strings.Fields(val)
			if len(f) == 3 && (!seenM || inAud) {
				host = f[2]
			}
		case 'm':
			if seenM && inAud {
				break
			}
			seenM = true
			f := strings.Fields(val)
			inAud = len(f) >= 4 && f[0] == "audio"
			if inAud {
				p, err := strconv.Atoi(f[1])
				if err != nil || p < 0 || p > 65535 {
					return nil, fmt.Errorf("sdp: bad audio port %q", f[1])
				}
				port = p
				pts = f[3:]
			}
		case 'a':
			if !inAud {
				continue
			}
			if rest, ok := strings.CutPrefix(val, "rtpmap:"); ok {
				pt, enc, _ := strings.Cut(rest, " ")
				rtpmap[pt] = strings.ToLower(enc)
			}
		}
	}
	if port < 0 {
		return nil, ErrNoAudio
	}
	s := &SDP{}
	for _, pt := range pts {
		switch {
		case pt == "0":
			s.Codecs = append(s.Codecs, PCMU)
		case pt == "8":
			s.Codecs = append(s.Codecs, PCMA)
		case strings.HasPrefix(rtpmap[pt], "telephone-event/"):
			if n, err := strconv.Atoi(pt); err == nil && n > 0 && n < 128 {
				dtmf = uint8(n)
			}
		}
	}
	if len(s.Codecs) == 0 {
		return nil, ErrNoAudio
	}
	s.DTMF = dtmf
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, fmt.Errorf("sdp: bad connection address %q", host)
	}
	s.Addr = &net.UDPAddr{IP: ip, Port: port}
	return s, nil
}

// BuildSDP writes a session description offering codecs (in order) and telephone events
// on addr. id is the session id and version of the o= line.
func BuildSDP(addr *net.UDPAddr, id uint64, codecs []Codec, dtmf uint8) []byte {
	var b bytes.Buffer
	ip := addr.IP.String()
	fmt.Fprintf(&b, "v=0\r\no=huifang %d %d IN IP4 %s\r\ns=huifang\r\nc=IN IP4 %s\r\nt=0 0\r\n", id, id, ip, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", addr.Port)
	for _, c := range codecs {
		fmt.Fprintf(&b, " %d", c)
	}
	if dtmf != 0 {
		fmt.Fprintf(&b, " %d", dtmf)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", c, c)
	}
	if dtmf != 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", dtmf, dtmf)
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return b.Bytes()
}
