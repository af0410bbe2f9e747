package phone

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrInvalid is what every error of Normalize is (errors.Is); the error's text says
// what is wrong with the number.
var ErrInvalid = errors.New("phone: not a valid number")

// invalidError is an error of Normalize: its text is the reason.
type invalidError string

// Error returns the reason.
func (e invalidError) Error() string { return string(e) }

// Is makes every invalidError match ErrInvalid.
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

// Normalize turns a mainland China phone number as people write it into the form the
// store keeps: mobiles as 11 digits (13912345678), landlines as the area code with its
// leading 0 followed by the local number (01088889999, 075512345678). It strips a +86,
// 0086 or 86 country prefix, spaces, dashes, dots and parentheses. When a cell holds
// several numbers separated by a comma, slash or semicolon, the first one is used. It
// returns an error that says what is wrong with anything else.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalidError("phone is empty")
	}
	if i := strings.IndexAny(s, ",，/;；、|"); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	// Fast path: already 11 plain digits.
	if len(s) == 11 && isDigits(s) {
		if isMobile(s) {
			return s, nil
		}
	}
	s = toHalfWidth(s)
	s = strings.TrimSuffix(s, ".0") // a number cell exported as a float
	if strings.ContainsAny(s, "eE") {
		// A number cell written in scientific notation: 1.3912345678E+10.
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 1e13 && f == math.Trunc(f) {
			s = strconv.FormatFloat(f, 'f', 0, 64)
		}
	}
	plus := strings.HasPrefix(s, "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '+' || r == '\t' || r == '\u00a0':
		default:
			return "", invalidError("phone has a character that is not a digit: " + string(r))
		}
	}
	d := b.String()
	intl := false
	switch {
	case plus:
		if !strings.HasPrefix(d, "86") {
			return "", invalidError("not a mainland China number (country code is not +86)")
		}
		d, intl = d[2:], true
	case strings.HasPrefix(d, "0086"):
		d, intl = d[4:], true
	case strings.HasPrefix(d, "86") && len(d) == 13 && d[2] == '1':
		d, intl = d[2:], true
	case strings.HasPrefix(d, "86") && len(d) >= 11 && len(d) <= 12 && d[2] != '0' && d[2] != '1':
		// 86 + area code without its trunk 0 + local number, as in 862088889999.
		d, intl = d[2:], true
	}
	if intl && d != "" && d[0] != '0' && !isMobile(d) {
		d = "0" + d // international form drops the landline trunk prefix
	}
	switch {
	case isMobile(d):
		return d, nil
	case len(d) > 0 && d[0] == '1':
		if len(d) == 11 {
			return "", invalidError("not a mainland mobile number (must start with 13-19)")
		}
		return "", invalidError("a mobile number has 11 digits")
	case len(d) > 0 && d[0] == '0':
		return checkLandline(d)
	case len(d) == 7 || len(d) == 8:
		return "", invalidError("landline without area code")
	default:
		return "", invalidError("not a phone number (mobile 1xxxxxxxxxx or landline with area code)")
	}
}

func checkLandline(d string) (string, error) {
	// Two-digit area codes: 010 Beijing, 02x; the others have three digits (0xxx).
	area := 4
	if d[1] == '1' || d[1] == '2' {
		area = 3
	}
	if d[1] == '0' {
		return "", invalidError("landline area code cannot start with 00")
	}
	local := d[area:]
	if len(local) < 7 || len(local) > 8 {
		return "", invalidError("landline local number must have 7 or 8 digits after the area code")
	}
	if local[0] == '0' || local[0] == '1' {
		return "", invalidError("landline local number cannot start with 0 or 1")
	}
	return d, nil
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && isDigits(d)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Valid reports whether s is already a normalised number: a mainland mobile (11 digits,
// 13-19) or a landline with its area code (0 and 10 to 12 digits in all).
func Valid(s string) bool {
	n, err := Normalize(s)
	return err == nil && n == s
}

// E164 writes a stored number in E.164: +8613912345678, +862188889999 (a landline
// without its trunk 0). A number already starting with + is returned as it is.
func E164(stored string) string {
	if strings.HasPrefix(stored, "+") {
		return stored
	}
	return "+86" + strings.TrimPrefix(stored, "0")
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
