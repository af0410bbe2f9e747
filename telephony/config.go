package telephony

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Trunk is the carrier's SIP trunk that outbound calls go through.
type Trunk struct {
	// URI is the trunk, sip:HOST:PORT; a ;transport=tcp parameter selects TCP.
	URI string
	// Transport is "udp" (the default) or "tcp"; it overrides the URI's parameter.
	Transport string
	// OutboundProxy, HOST:PORT, is where requests are sent instead of the trunk's address.
	OutboundProxy string
	// Username and Password answer the trunk's 401 and 407 digest challenges.
	Username string
	Password string
	// CallerID is the user part of From when a call does not name its own (per dealer).
	CallerID string
	// CallerName is the display name of From.
	CallerName string
	// Format is how the trunk wants called numbers: as stored, national or E.164.
	Format NumberFormat
	// CountryCode is the country calling code of national numbers (default 86).
	CountryCode string
	// MaxConcurrent caps the calls in progress on the trunk; zero is no cap.
	MaxConcurrent int
	// MaxCPS caps the new calls per second on the trunk; zero is no cap.
	MaxCPS float64
	// AssertIdentity adds P-Asserted-Identity (RFC 3325) with the caller ID, which many
	// carriers want to present the number.
	AssertIdentity bool
}

// Config is the gateway's configuration.
type Config struct {
	// ListenAddr is the HOST:PORT the gateway listens on, for UDP and TCP. Port 0 picks a
	// free port (the same for both).
	ListenAddr string
	// TLSListenAddr, when set, is the HOST:PORT where agents' phones reach the gateway over
	// TLS (RFC 3261 section 26.2; 5061 by custom), with the certificate in TLS. The RTP
	// of such calls is not encrypted (no SRTP).
	TLSListenAddr string
	// TLS holds the certificate the TLS listener presents.
	TLS *tls.Config
	// Host is the address written in Via, Contact and SDP; default the listen host.
	Host string
	// Trunk is where outbound calls go.
	Trunk Trunk
	// RingTimeout is how long a call may ring before we CANCEL it (default 30s).
	RingTimeout time.Duration
	// ResponseTimeout is how long we wait for the first response to an INVITE before the
	// attempt is a trunk failure (default 32s, the RFC 3261 Timer B).
	ResponseTimeout time.Duration
	// ByeTimeout bounds the wait for the answer to our BYE or CANCEL (default 5s).
	ByeTimeout time.Duration
	// MaxCallDuration ends any call that lasts longer (default 2h).
	MaxCallDuration time.Duration
	// RecordingsDir is where call recordings are written when a call asks for one.
	RecordingsDir string
	// ID names this gateway among several (cmd gives each process its own): every call
	// record carries it (CallResult.Gateway), so that the records of a gateway that died
	// mid-call can be closed by the others. Empty: calls carry none.
	ID string
	// AgentProxy, HOST:PORT, is a SIP proxy that keeps the registrations of agents'
	// phones (Kamailio with deploy/kamailio/kamailio.cfg), so that several gateways reach
	// the same phones. An agent whose phone has no leg up on this gateway is called for
	// each customer call by an INVITE to sip:AGENT@AgentProxy, which the proxy relays to
	// the phone; the agent's leg then lasts as long as that call. Empty: phones register
	// to this gateway's own registrar only.
	AgentProxy string
	// Realm is the digest realm of the registrar (default "huifang").
	Realm string
	// Credentials looks up agents' SIP passwords; nil refuses every REGISTER and INVITE
	// from outside.
	Credentials Credentials
	// Bindings keeps agents' phone registrations across restarts: the registrar writes
	// each REGISTER through to it and Start loads the unexpired ones back. Nil keeps them
	// in memory only, so phones are unreachable after a restart until they re-register.
	Bindings BindingStore
	// CallLog stores call records; nil stores nothing.
	CallLog CallLog
	// Metrics records calls and RTP for Prometheus (NewMetrics); nil records nothing.
	Metrics *Metrics
	// AuthFailures wrong digest answers from one source address, for one user name, or
	// for one user from one address within AuthWindow lock that key out for AuthLockout:
	// its requests are answered 403 without a lookup. Defaults: 10 in 5 minutes, locked
	// 15 minutes; a negative AuthFailures turns the throttle off. A user locked by
	// failures from elsewhere stays usable from the address it last authenticated from.
	AuthFailures int
	AuthWindow   time.Duration
	AuthLockout  time.Duration
	// CredentialsTTL is how long an answer of the Credentials (an agent, or no such
	// agent) is reused (default 30s; negative: not cached). A new SIP secret takes effect
	// within it.
	CredentialsTTL time.Duration
	// RTPTimeout ends an answered call when the peer has sent no RTP at all for this long
	// (default 60s; negative: never). The agents' own legs for the shift are not watched.
	RTPTimeout time.Duration
	// WebRTC configures the browser phone (agents talking from the console).
	WebRTC WebRTCConfig
	// Now is the gateway's clock for digest nonces and the throttle (default time.Now).
	Now func() time.Time
	// Logger receives the gateway's logs (default slog.Default()).
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with defaults applied.
func (c Config) WithDefaults() Config {
	if c.ListenAddr == "" {
		c.ListenAddr = "127.0.0.1:5060"
	}
	if c.Host == "" {
		h, _, _ := net.SplitHostPort(c.ListenAddr)
		if ip := net.ParseIP(h); ip == nil || ip.IsUnspecified() {
			h = "127.0.0.1"
		}
		c.Host = h
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.ResponseTimeout <= 0 {
		c.ResponseTimeout = 32 * time.Second
	}
	if c.ByeTimeout <= 0 {
		c.ByeTimeout = 5 * time.Second
	}
	if c.MaxCallDuration <= 0 {
		c.MaxCallDuration = 2 * time.Hour
	}
	if c.Realm == "" {
		c.Realm = "huifang"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.AuthFailures == 0 {
		c.AuthFailures = 10
	}
	if c.AuthWindow <= 0 {
		c.AuthWindow = 5 * time.Minute
	}
	if c.AuthLockout <= 0 {
		c.AuthLockout = 15 * time.Minute
	}
	if c.CredentialsTTL == 0 {
		c.CredentialsTTL = 30 * time.Second
	}
	if c.RTPTimeout == 0 {
		c.RTPTimeout = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Trunk.CallerID == "" {
		c.Trunk.CallerID = "huifang"
	}
	return c
}

// validate checks a config that has its defaults.
func (c Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("listen address %q: %w", c.ListenAddr, err))
	}
	if net.ParseIP(c.Host) == nil {
		errs = append(errs, fmt.Errorf("host %q must be an IP address", c.Host))
	}
	if c.TLSListenAddr != "" {
		if _, _, err := net.SplitHostPort(c.TLSListenAddr); err != nil {
			errs = append(errs, fmt.Errorf("tls listen address %q: %w", c.TLSListenAddr, err))
		}
		if c.TLS == nil || (len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil) {
			errs = append(errs, errors.New("a tls listen address needs a certificate"))
		}
	}
	if c.Trunk.URI != "" {
		if _, err := parseTrunkURI(c.Trunk.URI); err != nil {
			errs = append(errs, err)
		}
	}
	switch strings.ToLower(c.Trunk.Transport) {
	case "", "udp", "tcp":
	default:
		errs = append(errs, fmt.Errorf("trunk transport %q: want udp or tcp", c.Trunk.Transport))
	}
	if c.Trunk.OutboundProxy != "" {
		if _, _, err := net.SplitHostPort(c.Trunk.OutboundProxy); err != nil {
			errs = append(errs, fmt.Errorf("outbound proxy %q: %w", c.Trunk.OutboundProxy, err))
		}
	}
	if c.AgentProxy != "" {
		if _, _, err := net.SplitHostPort(c.AgentProxy); err != nil {
			errs = append(errs, fmt.Errorf("agent proxy %q: %w", c.AgentProxy, err))
		}
	}
	switch c.Trunk.Format {
	case FormatAsIs, FormatNational, FormatE164:
	default:
		errs = append(errs, fmt.Errorf("trunk number format %q: want national or e164", c.Trunk.Format))
	}
	if c.Trunk.MaxConcurrent < 0 || c.Trunk.MaxCPS < 0 {
		errs = append(errs, errors.New("trunk limits must not be negative"))
	}
	return errors.Join(errs...)
}

// parseTrunkURI reads sip:HOST[:PORT][;params].
func parseTrunkURI(s string) (sip.Uri, error) {
	var u sip.Uri
	if !strings.HasPrefix(strings.ToLower(s), "sip:") {
		return u, fmt.Errorf("trunk %q: want sip:HOST:PORT", s)
	}
	if err := sip.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("trunk %q: %w", s, err)
	}
	if u.Host == "" {
		return u, fmt.Errorf("trunk %q has no host", s)
	}
	return u, nil
}
