package telephony

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/huifang/huifang/telephony/media"
)

// parseInfoDTMF reads a key press sent as SIP INFO: application/dtmf-relay
// ("Signal=5\r\nDuration=160") or application/dtmf ("5").
func parseInfoDTMF(req *sip.Request) (byte, bool) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	body := strings.TrimSpace(string(req.Body()))
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				v = strings.ToUpper(strings.TrimSpace(v))
				if len(v) == 1 && media.IsDTMFDigit(v[0]) {
					return v[0], true
				}
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
		v := strings.ToUpper(body)
		if len(v) == 1 && media.IsDTMFDigit(v[0]) {
			return v[0], true
		}
	}
	return 0, false
}
