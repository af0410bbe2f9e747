package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/media"
)

// loadWebRTCConfig reads the browser phone's settings:
//
//   - HUIFANG_WEBRTC: "on" (the default) or "off".
//   - HUIFANG_WEBRTC_CODEC: pcmu (the default) or pcma, the G.711 variant of the
//     browser leg; choose the trunk's so its audio is relayed without transcoding.
//   - HUIFANG_WEBRTC_PUBLIC_IPS: comma-separated addresses written in the gateway's ICE
//     candidates instead of its own (a gateway behind a 1:1 NAT).
//   - HUIFANG_WEBRTC_PORTS: MIN-MAX, the UDP ports of the gateway's ICE candidates (open
//     them in the firewall).
//   - HUIFANG_WEBRTC_STUN: comma-separated stun: URLs; HUIFANG_WEBRTC_TURN: comma-separated
//     turn:/turns: URLs with HUIFANG_WEBRTC_TURN_USER and HUIFANG_WEBRTC_TURN_PASSWORD
//     (or _FILE), e.g. a coturn of Debian's (README, "Agents behind NAT").
func loadWebRTCConfig(get func(name, def string) string) (telephony.WebRTCConfig, []error) {
	var c telephony.WebRTCConfig
	var errs []error
	switch v := strings.ToLower(get("HUIFANG_WEBRTC", "on")); v {
	case "on":
	case "off":
		c.Disabled = true
	default:
		errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC must be on or off, got %q", v))
	}
	switch v := strings.ToLower(get("HUIFANG_WEBRTC_CODEC", "pcmu")); v {
	case "pcmu":
		c.Codec = media.PCMU
	case "pcma":
		c.Codec = media.PCMA
	default:
		errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_CODEC must be pcmu or pcma, got %q", v))
	}
	for _, ip := range splitList(get("HUIFANG_WEBRTC_PUBLIC_IPS", "")) {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_PUBLIC_IPS: %q is not an IP address", ip))
			continue
		}
		c.PublicIPs = append(c.PublicIPs, ip)
	}
	if v := get("HUIFANG_WEBRTC_PORTS", ""); v != "" {
		lo, hi, ok := strings.Cut(v, "-")
		a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
		if !ok || err1 != nil || err2 != nil || a == 0 || b < a {
			errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_PORTS must be MIN-MAX such as 40000-40999, got %q", v))
		} else {
			c.PortMin, c.PortMax = uint16(a), uint16(b)
		}
	}
	if stun := splitList(get("HUIFANG_WEBRTC_STUN", "")); len(stun) > 0 {
		for _, u := range stun {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
				errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_STUN: %q is not a stun: URL", u))
			}
		}
		c.ICEServers = append(c.ICEServers, telephony.ICEServer{URLs: stun})
	}
	if turn := splitList(get("HUIFANG_WEBRTC_TURN", "")); len(turn) > 0 {
		for _, u := range turn {
			if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_TURN: %q is not a turn: or turns: URL", u))
			}
		}
		user, pass := get("HUIFANG_WEBRTC_TURN_USER", ""), get("HUIFANG_WEBRTC_TURN_PASSWORD", "")
		if user == "" || pass == "" {
			errs = append(errs, fmt.Errorf("HUIFANG_WEBRTC_TURN needs HUIFANG_WEBRTC_TURN_USER and HUIFANG_WEBRTC_TURN_PASSWORD"))
		}
		c.ICEServers = append(c.ICEServers, telephony.ICEServer{URLs: turn, Username: user, Credential: pass})
	}
	return c, errs
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
