package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	agentui "github.com/huifang/huifang/agent-ui"
	"github.com/huifang/huifang/telephony"
)

// config is Huifang's whole configuration, read from the environment once at start.
// Every secret can also be given as NAME_FILE, the path of a file holding it.
type config struct {
	// DatabaseURL is DATABASE_URL.
	DatabaseURL string
	// RedisURL is REDIS_URL. With RedisSentinels it still gives the database number,
	// the user and password and the scheme (rediss:// for TLS); its host is ignored.
	RedisURL string
	// RedisSentinels is HUIFANG_REDIS_SENTINELS, comma-separated host:port of Redis
	// Sentinels; when set, Redis is the master they name RedisMaster
	// (HUIFANG_REDIS_MASTER, default mymaster) and follows it through a failover.
	RedisSentinels []string
	RedisMaster    string
	// RedisSentinelPassword is HUIFANG_REDIS_SENTINEL_PASSWORD, the Sentinels' own
	// password (requirepass of sentinel.conf), when they have one.
	RedisSentinelPassword string
	// ConsoleShared is HUIFANG_CONSOLE_SHARED (default true): console processes share
	// agents' state, their messages and the wallboards through Redis, so any process
	// can serve any agent (agent-ui/cluster.go); false keeps each process's agents to
	// itself.
	ConsoleShared bool
	// DBPoolMode is HUIFANG_DB_POOL_MODE: "session" (the default: Postgres directly or a
	// pooler in session mode) or "transaction" (PgBouncer pool_mode=transaction: no
	// server-side prepared statements, no LISTEN; see store.Config.TransactionPooled).
	DBPoolMode string
	// HTTPAddr is HUIFANG_HTTP_ADDR, the console's listen address.
	HTTPAddr string
	// PublicURL is HUIFANG_PUBLIC_URL, the address users type (for Origin checks and links).
	PublicURL string
	// SIPAddr is HUIFANG_SIP_ADDR, the gateway's listen address for agents' phones.
	SIPAddr string
	// SIPTrunk is HUIFANG_SIP_TRUNK (sip:host:port); empty runs the simulated carrier.
	SIPTrunk string
	// GatewayLease is HUIFANG_GATEWAY_LEASE: a gateway whose lease (renewed every fifth
	// of it) is this old is taken for dead and its unfinished calls are closed.
	GatewayLease time.Duration
	// SIPProxy is HUIFANG_SIP_PROXY, HOST:PORT of the Kamailio that keeps agents' phone
	// registrations when several gateways run (deploy/kamailio/kamailio.cfg); empty:
	// phones register to this gateway.
	SIPProxy string
	// SIPTrunkUser and SIPTrunkPassword are HUIFANG_SIP_TRUNK_USER and _PASSWORD.
	SIPTrunkUser     string
	SIPTrunkPassword string
	// SIPAuthFailures wrong digest answers per source, user or pair within SIPAuthWindow
	// lock it out for SIPAuthLockout (HUIFANG_SIP_AUTH_FAILURES, _WINDOW, _LOCKOUT).
	SIPAuthFailures int
	SIPAuthWindow   time.Duration
	SIPAuthLockout  time.Duration
	// SIPRTPTimeout is HUIFANG_SIP_RTP_TIMEOUT: a call without RTP that long is ended.
	SIPRTPTimeout time.Duration
	// SIPTLSCertFile and SIPTLSKeyFile (HUIFANG_SIP_TLS_CERT_FILE, _KEY_FILE) turn on SIP
	// over TLS for phones on SIPTLSAddr (HUIFANG_SIP_TLS_ADDR, default the SIP host, port
	// 5061).
	SIPTLSCertFile, SIPTLSKeyFile, SIPTLSAddr string
	// RecordingsDir is HUIFANG_RECORDINGS_DIR.
	RecordingsDir string
	// DBMaxConns is HUIFANG_DB_MAX_CONNS, the Postgres pool size of one process.
	DBMaxConns int
	// Workers is HUIFANG_WORKERS, the Asynq worker concurrency.
	Workers int
	// MetricsAddr is HUIFANG_METRICS_ADDR, the listen address of /metrics (a listener of
	// its own, never the console's); "off" serves no metrics.
	MetricsAddr string
	// LogLevel is HUIFANG_LOG_LEVEL (debug, info, warn, error).
	LogLevel slog.Level
	// LogFormat is HUIFANG_LOG_FORMAT: "text" (the default) or "json".
	LogFormat string
	// ShutdownTimeout is HUIFANG_SHUTDOWN_TIMEOUT.
	ShutdownTimeout time.Duration
	// SecureCookies is HUIFANG_SECURE_COOKIES (true behind HTTPS).
	SecureCookies bool
	// TLSCertFile and TLSKeyFile are HUIFANG_TLS_CERT_FILE and HUIFANG_TLS_KEY_FILE: with
	// both, the console is served over HTTPS directly (no reverse proxy needed).
	TLSCertFile, TLSKeyFile string
	// TrustedProxies is HUIFANG_TRUSTED_PROXIES: the reverse proxies (IP addresses or
	// CIDR prefixes, comma-separated) whose X-Forwarded-For names the client's address.
	TrustedProxies []netip.Prefix
	// SMS is the SMS gateway's configuration (HUIFANG_KANNEL_*, HUIFANG_SMS_*).
	SMS smsConfig
	// API is the JSON API's configuration (HUIFANG_API_*).
	API apiConfig
	// WebRTC is the browser phone's configuration (HUIFANG_WEBRTC_*, loadWebRTCConfig).
	WebRTC telephony.WebRTCConfig
	// TestNow is HUIFANG_TEST_NOW, for tests only (refused unless HUIFANG_TESTING=1): the
	// instant (RFC 3339) the process's clock shows when it starts; the clock then runs on
	// from there. Zero is the real clock. See config.clock.
	TestNow time.Time
}

// clock is the process's clock: the real one, or with HUIFANG_TEST_NOW one that starts at
// that instant and runs at the real pace (a fixed offset taken once, here). serve and
// worker hand it to the parts that name days or due times: the console's pages (desk,
// directors), the API, the scheduler's builds, the worker, the service notices and the
// daily SMS campaigns. Calls themselves (gateway, attempts, outcomes) keep the real clock.
func (c *config) clock() func() time.Time {
	if c.TestNow.IsZero() {
		return time.Now
	}
	offset := time.Until(c.TestNow)
	return func() time.Time { return time.Now().Add(offset) }
}

// loadConfig reads the configuration from getenv, applies defaults and validates it.
func loadConfig(getenv func(string) string) (*config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if path := getenv(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return def
			}
			return strings.TrimSpace(string(b))
		}
		return def
	}
	c := &config{
		DatabaseURL:      get("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/huifang?sslmode=disable"),
		RedisURL:         get("REDIS_URL", "redis://127.0.0.1:6379/0"),
		HTTPAddr:         get("HUIFANG_HTTP_ADDR", "127.0.0.1:8080"),
		PublicURL:        get("HUIFANG_PUBLIC_URL", ""),
		SIPAddr:          get("HUIFANG_SIP_ADDR", "127.0.0.1:5060"),
		SIPTrunk:         get("HUIFANG_SIP_TRUNK", ""),
		SIPProxy:         get("HUIFANG_SIP_PROXY", ""),
		SIPTrunkUser:     get("HUIFANG_SIP_TRUNK_USER", ""),
		SIPTrunkPassword: get("HUIFANG_SIP_TRUNK_PASSWORD", ""),
		RecordingsDir:    get("HUIFANG_RECORDINGS_DIR", "./recordings"),
		MetricsAddr:      get("HUIFANG_METRICS_ADDR", "127.0.0.1:9090"),
		LogFormat:        strings.ToLower(get("HUIFANG_LOG_FORMAT", "text")),
		RedisMaster:      get("HUIFANG_REDIS_MASTER", "mymaster"),
		DBPoolMode:       strings.ToLower(get("HUIFANG_DB_POOL_MODE", "session")),

		RedisSentinelPassword: get("HUIFANG_REDIS_SENTINEL_PASSWORD", ""),
	}
	for _, a := range strings.Split(get("HUIFANG_REDIS_SENTINELS", ""), ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("HUIFANG_REDIS_SENTINELS: %q is not host:port", a))
			continue
		}
		c.RedisSentinels = append(c.RedisSentinels, a)
	}
	shared, err := strconv.ParseBool(get("HUIFANG_CONSOLE_SHARED", "true"))
	c.ConsoleShared = shared
	if err != nil {
		errs = append(errs, fmt.Errorf("HUIFANG_CONSOLE_SHARED must be true or false, got %q", get("HUIFANG_CONSOLE_SHARED", "")))
	}
	if c.DBPoolMode != "session" && c.DBPoolMode != "transaction" {
		errs = append(errs, fmt.Errorf("HUIFANG_DB_POOL_MODE must be session or transaction, got %q", c.DBPoolMode))
	}
	if c.DBMaxConns, err = strconv.Atoi(get("HUIFANG_DB_MAX_CONNS", "20")); err != nil || c.DBMaxConns < 2 {
		errs = append(errs, fmt.Errorf("HUIFANG_DB_MAX_CONNS must be an integer of at least 2, got %q", get("HUIFANG_DB_MAX_CONNS", "")))
	}
	if c.Workers, err = strconv.Atoi(get("HUIFANG_WORKERS", "10")); err != nil || c.Workers < 1 {
		errs = append(errs, fmt.Errorf("HUIFANG_WORKERS must be a positive integer, got %q", get("HUIFANG_WORKERS", "")))
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("HUIFANG_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("HUIFANG_LOG_LEVEL: %w", err))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("HUIFANG_LOG_FORMAT must be text or json, got %q", c.LogFormat))
	}
	if c.MetricsAddr != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("HUIFANG_METRICS_ADDR must be HOST:PORT or off, got %q", c.MetricsAddr))
		} else if c.MetricsAddr == c.HTTPAddr && !strings.HasSuffix(c.MetricsAddr, ":0") {
			errs = append(errs, fmt.Errorf("HUIFANG_METRICS_ADDR must not be the console's HUIFANG_HTTP_ADDR (%s): metrics are not for the public port", c.HTTPAddr))
		}
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("HUIFANG_SHUTDOWN_TIMEOUT", "15s")); err != nil {
		errs = append(errs, fmt.Errorf("HUIFANG_SHUTDOWN_TIMEOUT: %w", err))
	}
	if c.GatewayLease, err = time.ParseDuration(get("HUIFANG_GATEWAY_LEASE", "10s")); err != nil || c.GatewayLease < time.Second {
		errs = append(errs, fmt.Errorf("HUIFANG_GATEWAY_LEASE must be a duration of at least 1s, got %q", get("HUIFANG_GATEWAY_LEASE", "10s")))
	}
	c.SIPTLSCertFile, c.SIPTLSKeyFile = getenv("HUIFANG_SIP_TLS_CERT_FILE"), getenv("HUIFANG_SIP_TLS_KEY_FILE")
	if (c.SIPTLSCertFile == "") != (c.SIPTLSKeyFile == "") {
		errs = append(errs, errors.New("HUIFANG_SIP_TLS_CERT_FILE and HUIFANG_SIP_TLS_KEY_FILE go together"))
	}
	if c.SIPTLSCertFile != "" {
		host, _, _ := net.SplitHostPort(c.SIPAddr)
		c.SIPTLSAddr = get("HUIFANG_SIP_TLS_ADDR", net.JoinHostPort(host, "5061"))
	}
	if c.SIPAuthFailures, err = strconv.Atoi(get("HUIFANG_SIP_AUTH_FAILURES", "10")); err != nil || c.SIPAuthFailures < 1 {
		errs = append(errs, fmt.Errorf("HUIFANG_SIP_AUTH_FAILURES must be a positive integer, got %q", get("HUIFANG_SIP_AUTH_FAILURES", "")))
	}
	for _, d := range []struct {
		name, def string
		to        *time.Duration
	}{{"HUIFANG_SIP_AUTH_WINDOW", "5m", &c.SIPAuthWindow}, {"HUIFANG_SIP_AUTH_LOCKOUT", "15m", &c.SIPAuthLockout}, {"HUIFANG_SIP_RTP_TIMEOUT", "60s", &c.SIPRTPTimeout}} {
		if *d.to, err = time.ParseDuration(get(d.name, d.def)); err != nil || *d.to <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a positive duration such as %s, got %q", d.name, d.def, get(d.name, "")))
		}
	}
	var webErrs []error
	c.WebRTC, webErrs = loadWebRTCConfig(get)
	errs = append(errs, webErrs...)
	c.TLSCertFile, c.TLSKeyFile = getenv("HUIFANG_TLS_CERT_FILE"), getenv("HUIFANG_TLS_KEY_FILE")
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("HUIFANG_TLS_CERT_FILE and HUIFANG_TLS_KEY_FILE go together"))
	} else if c.TLSCertFile != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("HUIFANG_TLS_CERT_FILE/HUIFANG_TLS_KEY_FILE: %w", err))
		}
		if c.PublicURL == "" {
			c.PublicURL = "https://" + c.HTTPAddr
		}
	}
	// Behind HTTPS (served here or by a proxy) cookies are Secure whatever the setting.
	https := strings.HasPrefix(strings.ToLower(c.PublicURL), "https://")
	if c.SecureCookies, err = strconv.ParseBool(get("HUIFANG_SECURE_COOKIES", strconv.FormatBool(https))); err != nil {
		errs = append(errs, fmt.Errorf("HUIFANG_SECURE_COOKIES: %w", err))
	}
	c.SecureCookies = c.SecureCookies || https
	if c.TrustedProxies, err = parsePrefixes(get("HUIFANG_TRUSTED_PROXIES", "")); err != nil {
		errs = append(errs, fmt.Errorf("HUIFANG_TRUSTED_PROXIES: %w", err))
	}
	if c.SMS, err = loadSMSConfig(get, c.HTTPAddr); err != nil {
		errs = append(errs, err)
	}
	if c.API, err = loadAPIConfig(get); err != nil {
		errs = append(errs, err)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	if v := get("HUIFANG_TEST_NOW", ""); v != "" {
		if get("HUIFANG_TESTING", "") != "1" {
			errs = append(errs, errors.New("HUIFANG_TEST_NOW moves the clock and is for tests only: it needs HUIFANG_TESTING=1 as well"))
		} else if c.TestNow, err = time.Parse(time.RFC3339, v); err != nil {
			errs = append(errs, fmt.Errorf("HUIFANG_TEST_NOW must be an RFC 3339 instant such as 2026-12-09T10:00:30+08:00, got %q", v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// logger returns the process logger: text or JSON lines (HUIFANG_LOG_FORMAT) on stderr;
// a line logged with an HTTP request's context carries its request_id.
func (c *config) logger(env *cliEnv) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	var h slog.Handler = slog.NewTextHandler(env.stderr, opts)
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(env.stderr, opts)
	}
	return slog.New(agentui.LogHandler(h))
}

// parsePrefixes reads comma-separated IP addresses and CIDR prefixes.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
