package importer

import (
	"errors"
	"fmt"
	"strings"
)

// vinValues are the ISO 3779 transliteration values of the characters allowed in a VIN.
var vinValues = [256]int8{}

// vinWeights are the ISO 3779 position weights; position 9 (the check digit) weighs 0.
var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

func init() {
	for i := range vinValues {
		vinValues[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		vinValues[c] = int8(c - '0')
	}
	for c, v := range map[byte]int8{
		'A': 1, 'B': 2, 'C': 3, 'D': 4, 'E': 5, 'F': 6, 'G': 7, 'H': 8,
		'J': 1, 'K': 2, 'L': 3, 'M': 4, 'N': 5, 'P': 7, 'R': 9,
		'S': 2, 'T': 3, 'U': 4, 'V': 5, 'W': 6, 'X': 7, 'Y': 8, 'Z': 9,
	} {
		vinValues[c] = v
	}
}

// VINCheckDigit computes the ISO 3779 check digit ('0'..'9' or 'X') of a 17-character VIN,
// ignoring whatever is at position 9. It fails when vin has the wrong length or a character
// a VIN may not contain (I, O, Q, lower case, punctuation).
func VINCheckDigit(vin string) (byte, error) {
	if len(vin) != 17 {
		return 0, fmt.Errorf("VIN must have 17 characters, has %d", len([]rune(vin)))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := vin[i]
		v := vinValues[c]
		if v < 0 {
			if c == 'I' || c == 'O' || c == 'Q' {
				return 0, fmt.Errorf("VIN may not contain the letter %c (position %d)", c, i+1)
			}
			return 0, fmt.Errorf("VIN has an invalid character %q at position %d", rune(c), i+1)
		}
		sum += int(v) * vinWeights[i]
	}
	if r := sum % 11; r == 10 {
		return 'X', nil
	} else {
		return byte('0' + r), nil
	}
}

// CheckVIN reports why vin is not a valid VIN: 17 characters of 0-9 and A-Z without I, O
// and Q, whose ninth character is the ISO 3779 check digit. It returns nil for a valid VIN.
// The caller normalises case and spaces first (NormalizeVIN).
func CheckVIN(vin string) error {
	if vin == "" {
		return errors.New("VIN is empty")
	}
	want, err := VINCheckDigit(vin)
	if err != nil {
		return err
	}
	if vin[8] != want {
		return fmt.Errorf("VIN check digit (position 9) is %c, should be %c", vin[8], want)
	}
	return nil
}

// ValidVIN reports whether vin is a valid VIN (see CheckVIN).
func ValidVIN(vin string) bool { return CheckVIN(vin) == nil }

// WithVINCheckDigit returns vin with its ninth character replaced by the correct check
// digit; it is how generators make valid VINs. It fails like VINCheckDigit.
func WithVINCheckDigit(vin string) (string, error) {
	d, err := VINCheckDigit(vin)
	if err != nil {
		return "", err
	}
	return vin[:8] + string(d) + vin[9:], nil
}

// NormalizeVIN upper-cases a VIN and removes the spaces and dashes exports put in it.
func NormalizeVIN(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || c == ' ' || c == '-' || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = toHalfWidth(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '\u00a0', '\u3000':
			return -1
		}
		return r
	}, s)
	return strings.ToUpper(s)
}

// toHalfWidth turns full-width ASCII (Ａ, １, －) into plain ASCII.
func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		if r == '\u3000' {
			return ' '
		}
		return r
	}, s)
}
