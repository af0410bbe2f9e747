package telephony

import (
	"fmt"
	"strconv"
	"strings"
)

// TrunkFromURI reads a trunk from one URI, so that a single setting (HUIFANG_SIP_TRUNK)
// can describe it: sip:HOST:PORT followed by optional parameters
//
//	;transport=udp|tcp   the transport (default udp)
//	;proxy=HOST:PORT     the outbound proxy
//	;caller=NUMBER       the caller ID (user part of From)
//	;format=national|e164  how the trunk wants called numbers
//	;country=86          the country calling code of national numbers
//	;max_calls=N         the cap on calls in progress
//	;cps=N               the cap on new calls per second
//	;pai=1               send P-Asserted-Identity with the caller ID
//
// The parameters only configure Huifang; the URI sent to the trunk carries none of them
// except transport. User name and password come separately.
func TrunkFromURI(uri string) (Trunk, error) {
	u, err := parseTrunkURI(uri)
	if err != nil {
		return Trunk{}, err
	}
	t := Trunk{URI: "sip:" + u.Host}
	if u.Port != 0 {
		t.URI += ":" + strconv.Itoa(u.Port)
	}
	for _, kv := range u.UriParams {
		k, v := strings.ToLower(kv.K), kv.V
		bad := func() error { return fmt.Errorf("trunk %q: bad %s=%q", uri, k, v) }
		switch k {
		case "transport":
			t.Transport = strings.ToLower(v)
		case "proxy":
			t.OutboundProxy = v
		case "caller":
			t.CallerID = v
		case "format":
			t.Format = NumberFormat(strings.ToLower(v))
		case "country":
			t.CountryCode = v
		case "max_calls":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Trunk{}, bad()
			}
			t.MaxConcurrent = n
		case "cps":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return Trunk{}, bad()
			}
			t.MaxCPS = f
		case "pai":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return Trunk{}, bad()
			}
			t.AssertIdentity = b
		default:
			return Trunk{}, fmt.Errorf("trunk %q: unknown parameter %q", uri, k)
		}
	}
	return t, nil
}
