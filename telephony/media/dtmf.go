package media

import (
	"encoding/binary"
	"fmt"
)

// RFC 4733 telephone events: event codes 0-9 are the digits, 10 is *, 11 is #, 12-15 are
// A-D.
const dtmfDigits = "0123456789*#ABCD"

// DTMFEvent is one RFC 4733 telephone-event payload.
type DTMFEvent struct {
	// Digit is the key: '0'-'9', '*', '#', 'A'-'D'.
	Digit byte
	// End is set on the last packets of the event.
	End bool
	// Volume is the power level in -dBm0 (0-63).
	Volume uint8
	// Duration is in timestamp units (samples).
	Duration uint16
}

// ParseDTMF reads a telephone-event payload.
func ParseDTMF(payload []byte) (DTMFEvent, error) {
	if len(payload) < 4 {
		return DTMFEvent{}, fmt.Errorf("dtmf: payload of %d bytes, need 4", len(payload))
	}
	if int(payload[0]) >= len(dtmfDigits) {
		return DTMFEvent{}, fmt.Errorf("dtmf: event %d is not a key", payload[0])
	}
	return DTMFEvent{
		Digit:    dtmfDigits[payload[0]],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(payload[2:]),
	}, nil
}

// Marshal returns the 4-byte payload of e.
func (e DTMFEvent) Marshal() ([]byte, error) {
	code := -1
	for i := 0; i < len(dtmfDigits); i++ {
		if dtmfDigits[i] == e.Digit {
			code = i
		}
	}
	if code < 0 {
		return nil, fmt.Errorf("dtmf: %q is not a key", e.Digit)
	}
	b := []byte{byte(code), e.Volume & 0x3f, 0, 0}
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b, nil
}

// IsDTMFDigit reports whether c is a key RFC 4733 and SIP INFO can carry.
func IsDTMFDigit(c byte) bool {
	for i := 0; i < len(dtmfDigits); i++ {
		if dtmfDigits[i] == c {
			return true
		}
	}
	return false
}
