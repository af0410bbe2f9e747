package media

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// DTMFPayloadType is the dynamic payload type we offer for RFC 4733 telephone events.
const DTMFPayloadType = 101

// Direction is the direction attribute of a media stream (RFC 3264 section 5.1):
// sendrecv, sendonly, recvonly or inactive, from the point of view of the side that wrote
// the description.
type Direction = sdp.Direction

// The four directions, re-exported from pion/sdp.
const (
	SendRecv = sdp.DirectionSendRecv
	SendOnly = sdp.DirectionSendOnly
	RecvOnly = sdp.DirectionRecvOnly
	Inactive = sdp.DirectionInactive
)

// SDP is the part of a session description (RFC 4566) a G.711 call needs: where to send
// audio, which codecs the peer takes, the telephone-event payload type and the stream's
// direction. It is parsed with pion/sdp.
type SDP struct {
	// Addr is the connection address and port of the audio stream: the audio m= line's
	// own c= line, else the session's.
	Addr *net.UDPAddr
	// Codecs are the G.711 codecs in the peer's order of preference.
	Codecs []Codec
	// DTMF is the telephone-event payload type, or 0 when the peer offers none.
	DTMF uint8
	// Direction is the peer's direction for the audio stream. A connection address of
	// 0.0.0.0 (the old way to hold, RFC 3264 section 8.4) means the peer receives nothing:
	// sendrecv becomes sendonly and recvonly becomes inactive.
	Direction Direction

	// desc is the whole description, kept so an answer can mirror its m= lines.
	desc *sdp.SessionDescription
	// audio is the index of the chosen audio stream among desc's m= lines.
	audio int
}

// ErrNoAudio means the session description has no usable G.711 audio stream.
var ErrNoAudio = errors.New("sdp: no G.711 audio stream")

// ParseSDP reads the first usable audio stream of body: an m=audio line with a non-zero
// port (port 0 is a rejected stream, RFC 3264 section 6), plain RTP (RTP/AVP or
// RTP/AVPF) and at least one G.711 codec. Other streams (video, a second audio) are
// kept only so that an answer can reject them.
func ParseSDP(body []byte) (*SDP, error) {
	var desc sdp.SessionDescription
	if err := desc.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("sdp: %w", err)
	}
	for i, md := range desc.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 || !plainRTP(md.MediaName.Protos) {
			continue
		}
		s := &SDP{desc: &desc, audio: i}
		for _, pt := range md.MediaName.Formats {
			switch pt {
			case "0":
				s.Codecs = append(s.Codecs, PCMU)
			case "8":
				s.Codecs = append(s.Codecs, PCMA)
			default:
				if strings.HasPrefix(strings.ToLower(rtpmap(md, pt)), "telephone-event/") {
					if n, err := strconv.Atoi(pt); err == nil && n > 0 && n < 128 {
						s.DTMF = uint8(n)
					}
				}
			}
		}
		if len(s.Codecs) == 0 {
			continue
		}
		ci := md.ConnectionInformation
		if ci == nil {
			ci = desc.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			return nil, errors.New("sdp: the audio stream has no connection address (c=)")
		}
		ip := net.ParseIP(ci.Address.Address)
		if ip == nil {
			return nil, fmt.Errorf("sdp: bad connection address %q", ci.Address.Address)
		}
		port := md.MediaName.Port.Value
		if port < 0 || port > 65535 {
			return nil, fmt.Errorf("sdp: bad audio port %d", port)
		}
		s.Addr = &net.UDPAddr{IP: ip, Port: port}
		s.Direction = direction(&desc, md)
		if ip.IsUnspecified() {
			switch s.Direction {
			case SendRecv:
				s.Direction = SendOnly
			case RecvOnly:
				s.Direction = Inactive
			}
		}
		return s, nil
	}
	return nil, ErrNoAudio
}

// plainRTP reports whether an m= line's protocol is unencrypted RTP.
func plainRTP(protos []string) bool {
	p := strings.Join(protos, "/")
	return p == "RTP/AVP" || p == "RTP/AVPF"
}

// rtpmap returns the encoding of payload type pt in md's a=rtpmap lines ("" when none).
func rtpmap(md *sdp.MediaDescription, pt string) string {
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		if p, enc, ok := strings.Cut(a.Value, " "); ok && p == pt {
			return enc
		}
	}
	return ""
}

// direction returns a stream's direction attribute, else the session's, else sendrecv
// (RFC 3264 section 5.1).
func direction(desc *sdp.SessionDescription, md *sdp.MediaDescription) Direction {
	for _, attrs := range [][]sdp.Attribute{md.Attributes, desc.Attributes} {
		for _, a := range attrs {
			if d, err := sdp.NewDirection(a.Key); err == nil {
				return d
			}
		}
	}
	return SendRecv
}

// Reply returns the direction an answer gives to an offered direction (RFC 3264
// section 6.1): a peer that only sends is answered recvonly (a hold), one that only
// receives sendonly, inactive stays inactive.
func Reply(offered Direction) Direction {
	switch offered {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	default:
		return SendRecv
	}
}

// Origin is the o= line's session id and version (RFC 4566 section 5.2); the version
// grows with every new description of the same session (RFC 3264 section 8).
type Origin struct {
	// ID is the session id.
	ID uint64
	// Version is the description's version.
	Version uint64
}

// BuildSDP writes a session description offering codecs (in order) and telephone events
// on addr, with direction dir (0 means sendrecv).
func BuildSDP(addr *net.UDPAddr, o Origin, codecs []Codec, dtmf uint8, dir Direction) []byte {
	desc := baseDesc(addr, o)
	desc.MediaDescriptions = []*sdp.MediaDescription{audioDesc(addr.Port, codecs, dtmf, dir)}
	b, _ := desc.Marshal()
	return b
}

// BuildAnswer writes our answer to offer: the same m= lines in the same order (RFC 3264
// section 6), the chosen audio stream on addr with codec, telephone events when the
// offer had them and the reply to the offer's direction, every other stream rejected
// with port 0.
func BuildAnswer(offer *SDP, addr *net.UDPAddr, o Origin, codec Codec) []byte {
	desc := baseDesc(addr, o)
	for i, md := range offer.desc.MediaDescriptions {
		if i == offer.audio {
			desc.MediaDescriptions = append(desc.MediaDescriptions, audioDesc(addr.Port, []Codec{codec}, offer.DTMF, Reply(offer.Direction)))
			continue
		}
		formats := md.MediaName.Formats
		if len(formats) > 1 {
			formats = formats[:1]
		}
		desc.MediaDescriptions = append(desc.MediaDescriptions, &sdp.MediaDescription{MediaName: sdp.MediaName{
			Media: md.MediaName.Media, Port: sdp.RangedPort{Value: 0}, Protos: md.MediaName.Protos, Formats: formats,
		}})
	}
	b, _ := desc.Marshal()
	return b
}

func baseDesc(addr *net.UDPAddr, o Origin) *sdp.SessionDescription {
	ip := addr.IP.String()
	at := "IP4"
	if addr.IP.To4() == nil {
		at = "IP6"
	}
	return &sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "huifang", SessionID: o.ID, SessionVersion: o.Version,
			NetworkType: "IN", AddressType: at, UnicastAddress: ip,
		},
		SessionName:           "huifang",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: at, Address: &sdp.Address{Address: ip}},
		TimeDescriptions:      []sdp.TimeDescription{{}},
	}
}

func audioDesc(port int, codecs []Codec, dtmf uint8, dir Direction) *sdp.MediaDescription {
	if dir == 0 {
		dir = SendRecv
	}
	md := &sdp.MediaDescription{MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: port}, Protos: []string{"RTP", "AVP"}}}
	for _, c := range codecs {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c)))
	}
	if dtmf != 0 {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(dtmf)))
	}
	for _, c := range codecs {
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/8000", c, c)))
	}
	if dtmf != 0 {
		md.Attributes = append(md.Attributes,
			sdp.NewAttribute("rtpmap", fmt.Sprintf("%d telephone-event/8000", dtmf)),
			sdp.NewAttribute("fmtp", fmt.Sprintf("%d 0-16", dtmf)))
	}
	md.Attributes = append(md.Attributes, sdp.NewAttribute("ptime", "20"), sdp.NewPropertyAttribute(dir.String()))
	return md
}
