package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/simcarrier"
)

// gatewayPart runs the SIP gateway: agents' phones register to it and calls go out
// through HUIFANG_SIP_TRUNK, or through the built-in simulated carrier when no trunk is
// configured (the demo on one machine).
type gatewayPart struct {
	d       *deps
	gw      *telephony.Gateway
	carrier *simcarrier.Carrier
	lease   *gatewayLease
	err     error
}

// newGatewayPart builds the gateway (it listens only once started), so that other parts
// can be handed it.
func newGatewayPart(d *deps) *gatewayPart {
	p := &gatewayPart{d: d}
	trunk := d.cfg.SIPTrunk
	if trunk == "" {
		host, _, err := net.SplitHostPort(d.cfg.SIPAddr)
		if err != nil {
			p.err = fmt.Errorf("HUIFANG_SIP_ADDR %q: %w", d.cfg.SIPAddr, err)
			return p
		}
		// The simulated customers press 1 (appointment), 2 (not interested) or 9 (do not
		// call) in message calls, so the demo's message-call campaigns store keys.
		p.carrier, p.err = simcarrier.New(simcarrier.Config{
			ListenAddr: net.JoinHostPort(host, "0"), Logger: d.log.With("part", "sim-carrier"),
			Keys: "1111222229",
		})
		if p.err != nil {
			return p
		}
	}
	var tr telephony.Trunk
	if trunk != "" {
		// HUIFANG_SIP_TRUNK carries the trunk's settings as URI parameters
		// (;transport=tcp;caller=...;format=e164;max_calls=...; see telephony.TrunkFromURI).
		if tr, p.err = telephony.TrunkFromURI(trunk); p.err != nil {
			p.err = fmt.Errorf("HUIFANG_SIP_TRUNK: %w", p.err)
			return p
		}
	}
	tr.Username, tr.Password = d.cfg.SIPTrunkUser, d.cfg.SIPTrunkPassword
	var metrics *telephony.Metrics
	if d.metrics != nil {
		metrics = d.metrics.telephony
	}
	var sipTLS *tls.Config
	if d.cfg.SIPTLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(d.cfg.SIPTLSCertFile, d.cfg.SIPTLSKeyFile)
		if err != nil {
			p.err = fmt.Errorf("HUIFANG_SIP_TLS_CERT_FILE/_KEY_FILE: %w", err)
			return p
		}
		sipTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	p.lease = &gatewayLease{q: store.New(d.db), id: newGatewayID(), sipAddr: d.cfg.SIPAddr, ttl: cmp.Or(d.cfg.GatewayLease, 10*time.Second),
		now: d.clock(), log: d.log.With("part", "gateway")}
	p.gw, p.err = telephony.New(telephony.Config{
		ID:            p.lease.id,
		ListenAddr:    d.cfg.SIPAddr,
		TLSListenAddr: d.cfg.SIPTLSAddr,
		TLS:           sipTLS,
		Realm:         store.SIPRealm,
		AuthFailures:  d.cfg.SIPAuthFailures,
		AuthWindow:    d.cfg.SIPAuthWindow,
		AuthLockout:   d.cfg.SIPAuthLockout,
		RTPTimeout:    d.cfg.SIPRTPTimeout,
		Trunk:         tr,
		AgentProxy:    d.cfg.SIPProxy,
		RecordingsDir: d.cfg.RecordingsDir,
		Credentials:   storeAgents{q: store.New(d.db)},
		Bindings:      storeBindings{q: store.New(d.db)},
		CallLog:       telephony.NewStoreCallLog(d.db),
		Metrics:       metrics,
		WebRTC:        d.cfg.WebRTC,
		Logger:        d.log.With("part", "gateway"),
	})
	if p.err == nil && d.metrics != nil {
		gw := p.gw
		for _, m := range []struct {
			name, help string
			get        func(telephony.SecurityStats) uint64
		}{
			{"huifang_sip_auth_failures_total", "SIP digest answers refused (wrong, unknown user, digest-uri not the Request-URI).",
				func(s telephony.SecurityStats) uint64 { return s.AuthFailures }},
			{"huifang_sip_auth_lockouts_total", "SIP digest lockouts (a source, user or pair reaching HUIFANG_SIP_AUTH_FAILURES).",
				func(s telephony.SecurityStats) uint64 { return s.AuthLockouts }},
			{"huifang_sip_malformed_total", "SIP messages that could not be parsed or handled.",
				func(s telephony.SecurityStats) uint64 { return s.Malformed }},
		} {
			d.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: m.name, Help: m.help},
				func() float64 { return float64(m.get(gw.SecurityStats())) }))
		}
	}
	return p
}

func (p *gatewayPart) name() string { return "gateway" }

func (p *gatewayPart) start(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if p.d.metrics != nil {
		gw := p.gw
		p.d.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "huifang_sip_dialogs", Help: "SIP dialogs in progress (calls and agents' legs).",
		}, func() float64 { return float64(gw.ActiveDialogs()) }))
	}
	if p.carrier != nil {
		if err := p.carrier.Start(); err != nil {
			return err
		}
		if err := p.gw.SetTrunkURI(p.carrier.URI()); err != nil {
			return err
		}
		p.d.log.Warn("no HUIFANG_SIP_TRUNK: calls go to the simulated carrier", "carrier", p.carrier.URI())
	}
	// The lease is held before the first call, so every call record names a live gateway.
	if err := p.lease.start(ctx); err != nil {
		return err
	}
	if err := p.gw.Start(); err != nil {
		return errors.Join(err, p.lease.stop(context.WithoutCancel(ctx)))
	}
	return nil
}

// shutdown drains (SIGTERM): the gateway places no new call and waits for the calls in
// progress, until two seconds before HUIFANG_SHUTDOWN_TIMEOUT runs out; then it closes,
// hanging up what is left, and gives its lease up.
func (p *gatewayPart) shutdown(ctx context.Context) error {
	var errs []error
	if p.gw != nil {
		p.lease.setDraining(ctx)
		dctx := ctx
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			dctx, cancel = context.WithDeadline(ctx, dl.Add(-2*time.Second))
			defer cancel()
		}
		if n := p.gw.CallsInProgress(); n > 0 {
			p.d.log.Info("gateway draining", "calls", n)
		}
		if err := p.gw.Drain(dctx); err != nil {
			p.d.log.Warn("gateway drain cut short; the calls left are hung up", "err", err)
		}
		errs = append(errs, p.gw.Close())
		errs = append(errs, p.lease.stop(context.WithoutCancel(ctx)))
	}
	if p.carrier != nil {
		errs = append(errs, p.carrier.Close())
	}
	return errors.Join(errs...)
}

// storeAgents gives the gateway's registrar the agents' SIP secrets from store.
type storeAgents struct{ q *store.Queries }

// LookupAgent finds the one active agent with this user name and a SIP secret: directors
// and admins never register a phone.
func (s storeAgents) LookupAgent(ctx context.Context, username string) (telephony.Agent, error) {
	users, err := s.q.FindUsersByUsername(ctx, username)
	if err != nil {
		return telephony.Agent{}, fmt.Errorf("look up agent %s: %w", username, err)
	}
	var found []store.User
	for _, u := range users {
		if u.Role == "agent" && u.SipHa1 != "" {
			found = append(found, u)
		}
	}
	if len(found) != 1 {
		// None, or the same user name at several dealers: refuse rather than guess.
		return telephony.Agent{}, telephony.ErrUnknownAgent
	}
	u := found[0]
	return telephony.Agent{Username: u.Username, HA1: u.SipHa1, UserID: u.ID, DealerID: u.DealerID}, nil
}

// storeBindings keeps the registrar's bindings of agents' phones in sip_bindings, so that
// registrations survive a restart of the gateway.
type storeBindings struct{ q *store.Queries }

// SaveBinding stores the agent's binding, replacing the one before.
func (s storeBindings) SaveBinding(ctx context.Context, b telephony.Binding) error {
	err := s.q.SaveSipBinding(ctx, store.SaveSipBindingParams{Username: b.Username, UserID: b.UserID,
		Contact: b.Contact, Source: b.Source, Transport: b.Transport, ExpiresAt: b.Expires})
	if err != nil {
		return fmt.Errorf("save sip binding of %s: %w", b.Username, err)
	}
	return nil
}

// DeleteBinding removes the agent's binding.
func (s storeBindings) DeleteBinding(ctx context.Context, username string) error {
	if err := s.q.DeleteSipBinding(ctx, username); err != nil {
		return fmt.Errorf("delete sip binding of %s: %w", username, err)
	}
	return nil
}

// LoadBindings returns the bindings that have not expired at now.
func (s storeBindings) LoadBindings(ctx context.Context, now time.Time) ([]telephony.Binding, error) {
	rows, err := s.q.ListLiveSipBindings(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("load sip bindings: %w", err)
	}
	out := make([]telephony.Binding, 0, len(rows))
	for _, r := range rows {
		out = append(out, telephony.Binding{Username: r.Username, UserID: r.UserID, Contact: r.Contact,
			Source: r.Source, Transport: r.Transport, Expires: r.ExpiresAt})
	}
	return out, nil
}
