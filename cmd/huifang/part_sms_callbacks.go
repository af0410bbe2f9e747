package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/huifang/huifang/telephony/sms"
)

// smsTokenRe is what HUIFANG_SMS_TOKEN may hold: it travels in a query string.
var smsTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}$`)

// checkSMSToken refuses a real sender without a callback token: without it anyone who
// reaches the callbacks forges opt-outs (a TD reply) and delivery reports.
func checkSMSToken(provider, token string) error {
	if token == "" {
		if provider == "log" {
			return nil
		}
		return fmt.Errorf("HUIFANG_SMS_PROVIDER=%s sends real messages, so its callbacks need HUIFANG_SMS_TOKEN "+
			"(at least 16 letters, digits, _ or -; for example: openssl rand -hex 16): without it anyone "+
			"could post opt-outs and delivery reports", provider)
	}
	if !smsTokenRe.MatchString(token) {
		return fmt.Errorf("HUIFANG_SMS_TOKEN must be at least 16 letters, digits, _ or - (it goes in the callback URLs), got %d characters", len(token))
	}
	return nil
}

// checkCallbackAddr refuses a callback address that is not HOST:PORT or off, or that is
// the console's public address.
func checkCallbackAddr(addr, httpAddr string) error {
	if addr == "off" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("HUIFANG_SMS_CALLBACK_ADDR must be HOST:PORT or off, got %q", addr)
	}
	if addr == httpAddr {
		return fmt.Errorf("HUIFANG_SMS_CALLBACK_ADDR must not be the console's HUIFANG_HTTP_ADDR (%s): the SMS callbacks get a listener of their own", httpAddr)
	}
	return nil
}

// smsCallbackPart serves the SMS providers' callbacks (delivery reports and replies of
// Kannel, Aliyun and Tencent) on HUIFANG_SMS_CALLBACK_ADDR, a listener of its own: the
// console's port is public, the callbacks are for the SMS gateway. Every request carries
// HUIFANG_SMS_TOKEN when a real sender is configured (loadSMSConfig refuses to start
// otherwise).
type smsCallbackPart struct {
	d   *deps
	log *slog.Logger
	// mux holds the callback routes.
	mux *http.ServeMux
	// reports groups the delivery reports of every provider into shared commits while
	// the part runs (without it each report is written alone).
	reports *sms.ReportBatcher
	srv     *http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// addr is the address it listens on, once started.
	addr string
}

func newSMSCallbackPart(d *deps) *smsCallbackPart {
	p := &smsCallbackPart{d: d, log: d.log.With("part", "sms-callbacks"), mux: http.NewServeMux(),
		reports: sms.NewReportBatcher(d.db, 0)}
	rec := &sms.Recorder{DB: d.db, Log: p.log, Batch: p.reports}
	token := d.cfg.SMS.Token
	p.mux.Handle("/sms/kannel/", &sms.KannelHandler{Recorder: rec, Token: token})
	p.mux.Handle("/sms/aliyun/", &sms.AliyunHandler{Recorder: rec, Token: token})
	p.mux.Handle("/sms/tencent/", &sms.TencentHandler{Recorder: rec, Token: token})
	return p
}

func (p *smsCallbackPart) name() string { return "sms-callbacks" }

func (p *smsCallbackPart) start(ctx context.Context) error {
	addr := p.d.cfg.SMS.CallbackAddr
	if addr == "off" || addr == "" {
		p.log.Info("SMS callbacks off (HUIFANG_SMS_CALLBACK_ADDR=off): no delivery reports or replies are received")
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HUIFANG_SMS_CALLBACK_ADDR: listen %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.srv = &http.Server{Handler: p.mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelWarn)}
	p.addr = ln.Addr().String()
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.reports.Run(ctx)
	}()
	go func() {
		defer p.wg.Done()
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("sms callback server", "err", err)
		}
	}()
	p.log.Info("SMS callbacks listening", "addr", p.addr, "token", p.d.cfg.SMS.Token != "")
	return nil
}

func (p *smsCallbackPart) shutdown(ctx context.Context) error {
	if p.srv == nil {
		return nil
	}
	// The server stops taking reports first, then the batcher commits what it holds.
	err := p.srv.Shutdown(ctx)
	p.cancel()
	return errors.Join(err, stopWithin(ctx, "sms callbacks", p.wg.Wait))
}
