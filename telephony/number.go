package telephony

import (
	"fmt"
	"strings"
)

// NumberFormat says how a trunk wants called numbers written.
type NumberFormat string

// The number formats a trunk may want.
const (
	// FormatAsIs sends the number as stored.
	FormatAsIs NumberFormat = ""
	// FormatNational sends mainland numbers nationally: 13900000001, 02112345678.
	FormatNational NumberFormat = "national"
	// FormatE164 sends numbers as E.164 with a plus: +8613900000001, +862112345678.
	FormatE164 NumberFormat = "e164"
)

// RewriteNumber writes number in format f. country is the country calling code of
// national numbers (86 when empty). The input may be national (13900000001,
// 021-1234-5678), E.164 (+8613900000001) or international with 00 (008613900000001);
// spaces and dashes are ignored; anything else is an error naming the problem.
func RewriteNumber(number string, f NumberFormat, country string) (string, error) {
	if country == "" {
		country = "86"
	}
	n := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(number)
	plus := strings.HasPrefix(n, "+")
	digits := strings.TrimPrefix(n, "+")
	if digits == "" {
		return "", fmt.Errorf("number %q has no digits", number)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", fmt.Errorf("number %q has a character %q that is not a digit", number, c)
		}
	}
	if len(digits) > 20 {
		return "", fmt.Errorf("number %q is too long", number)
	}
	// Normalise to (international, national significant number).
	var intl bool
	var cc, nsn string
	switch {
	case plus:
		intl = true
		cc, nsn = splitCountry(digits, country)
	case strings.HasPrefix(digits, "00"):
		intl = true
		cc, nsn = splitCountry(digits[2:], country)
	default:
		cc, nsn = country, strings.TrimPrefix(digits, "0")
	}
	switch f {
	case FormatAsIs:
		return n, nil
	case FormatE164:
		if intl && cc == "" {
			return "+" + strings.TrimPrefix(strings.TrimPrefix(digits, "00"), "+"), nil
		}
		return "+" + cc + nsn, nil
	case FormatNational:
		if intl && cc != country {
			// A foreign number cannot be written nationally; use the international prefix.
			return "00" + strings.TrimPrefix(strings.TrimPrefix(digits, "00"), "+"), nil
		}
		if strings.HasPrefix(nsn, "1") && len(nsn) == 11 {
			// Mainland mobile: no trunk prefix.
			return nsn, nil
		}
		return "0" + nsn, nil
	default:
		return "", fmt.Errorf("unknown number format %q (want national or e164)", f)
	}
}

// splitCountry splits international digits into the home country code (when they start
// with it) and the rest; for a foreign number it returns "" and the digits.
func splitCountry(digits, country string) (string, string) {
	if rest, ok := strings.CutPrefix(digits, country); ok {
		return country, rest
	}
	return "", digits
}
