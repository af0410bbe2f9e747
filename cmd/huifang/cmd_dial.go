package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/huifang/huifang/telephony"
)

// dialJSON is the one line `huifang dial --json` prints.
type dialJSON struct {
	Outcome   string  `json:"outcome"`
	SIPStatus int     `json:"sip_status"`
	RingS     float64 `json:"ring_s"`
	TalkS     float64 `json:"talk_s"`
	CallID    string  `json:"call_id"`
	Recording string  `json:"recording"`
}

// cmdDial places one call through a trunk and waits for its end: the operator's tool for
// testing a trunk. It needs no database; when DATABASE_URL reaches one, the call record is
// stored too.
func cmdDial(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "dial")
	trunk := fs.String("trunk", "", "the trunk, sip:HOST:PORT (required; ;transport=tcp or --transport tcp for TCP)")
	to := fs.String("to", "", "the number to call (required)")
	user := fs.String("user", "", "digest user name for the trunk's 401/407 challenges")
	password := fs.String("password", "", "digest password")
	ringTimeout := fs.Duration("ring-timeout", 30*time.Second, "CANCEL the call when it rings this long")
	record := fs.String("record", "", "record the call as a stereo WAV into this directory")
	asJSON := fs.Bool("json", false, "print one JSON line instead of text")
	transport := fs.String("transport", "", "udp or tcp (default udp, or the trunk URI's transport)")
	listen := fs.String("listen", "", "local HOST:PORT for SIP (default: the address that routes to the trunk, any port)")
	callerID := fs.String("caller-id", "", "user part of From (default huifang)")
	format := fs.String("format", "", "rewrite the number: national or e164 (default as given)")
	proxy := fs.String("proxy", "", "outbound proxy HOST:PORT")
	maxTalk := fs.Duration("max-talk", 0, "hang up after this long in conversation (default: wait for the far end)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *trunk == "" || *to == "" {
		return fmt.Errorf("%w: --trunk and --to are required", errUsage)
	}
	var tu sip.Uri
	if err := sip.ParseUri(*trunk, &tu); err != nil || tu.Host == "" {
		return fmt.Errorf("%w: --trunk %q: want sip:HOST:PORT", errUsage, *trunk)
	}
	// The trunk URI may carry settings (;transport=tcp;format=e164;caller=...); flags win.
	tr, err := telephony.TrunkFromURI(*trunk)
	if err != nil {
		return fmt.Errorf("%w: --trunk: %v", errUsage, err)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&tr.Transport, *transport)
	set(&tr.OutboundProxy, *proxy)
	set(&tr.Username, *user)
	set(&tr.Password, *password)
	set(&tr.CallerID, *callerID)
	if *format != "" {
		tr.Format = telephony.NumberFormat(strings.ToLower(*format))
	}
	if *listen == "" {
		host, err := routeTo(tu)
		if err != nil {
			return err
		}
		*listen = net.JoinHostPort(host, "0")
	}
	cfg := telephony.Config{
		ListenAddr:    *listen,
		RecordingsDir: *record,
		RingTimeout:   *ringTimeout,
		Trunk:         tr,
	}
	if *maxTalk > 0 {
		cfg.MaxCallDuration = *maxTalk
	}
	logCfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	cfg.Logger = logCfg.logger(env)
	if env.getenv("DATABASE_URL") != "" {
		// Best effort: the trunk test must work without a database.
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		pool, err := openDB(dctx, logCfg, true)
		cancel()
		if err != nil {
			cfg.Logger.Warn("not storing the call record", "err", err)
		} else {
			defer pool.Close()
			cfg.CallLog = telephony.NewStoreCallLog(pool)
		}
	}
	g, err := telephony.New(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := g.Start(); err != nil {
		return err
	}
	defer g.Close()
	res, err := g.Dial(ctx, telephony.DialParams{To: *to, Kind: "test", Record: *record != ""})
	if err != nil {
		if errors.Is(err, telephony.ErrNoTrunk) {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return err
	}
	if *asJSON {
		b, err := json.Marshal(dialJSON{
			Outcome: string(res.Outcome), SIPStatus: res.SIPStatus,
			RingS: seconds(res.RingDuration()), TalkS: seconds(res.TalkDuration()),
			CallID: res.CallID, Recording: res.Recording,
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, string(b))
	} else {
		fmt.Fprintf(env.stdout, "outcome:   %s\nstatus:    %d %s\nring:      %.3fs\ntalk:      %.3fs\nhangup by: %s\ncall-id:   %s\n",
			res.Outcome, res.SIPStatus, res.SIPReason, seconds(res.RingDuration()), seconds(res.TalkDuration()), res.HangupBy, res.CallID)
		if res.Recording != "" {
			fmt.Fprintf(env.stdout, "recording: %s\n", res.Recording)
		}
	}
	if res.Outcome == telephony.OutcomeTrunkFailure {
		// A trunk failure exits 3 so scripts can tell it from a customer outcome.
		return &exitError{code: 3, err: errors.New("")}
	}
	return nil
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

// routeTo returns the local IP address that routes to the trunk's host.
func routeTo(tu sip.Uri) (string, error) {
	port := tu.Port
	if port == 0 {
		port = 5060
	}
	c, err := net.Dial("udp", net.JoinHostPort(tu.Host, fmt.Sprint(port)))
	if err != nil {
		return "", fmt.Errorf("route to trunk %s: %w", tu.Host, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String(), nil
}
