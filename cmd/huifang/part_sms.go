package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/sms"
)

// smsConfig is the SMS gateway configuration, from the environment:
//
//	HUIFANG_KANNEL_SENDSMS_URL  smsbox's sendsms URL (http://127.0.0.1:13013/cgi-bin/sendsms);
//	                            empty keeps the development sender, which sends nothing
//	HUIFANG_KANNEL_USER, HUIFANG_KANNEL_PASSWORD  the smsbox sendsms-user
//	HUIFANG_KANNEL_FROM         the sender number (optional)
//	HUIFANG_SMS_CALLBACK_URL    our base URL as Kannel reaches it (default http://HUIFANG_HTTP_ADDR/sms/kannel);
//	                            Kannel's sms-service get-url is <this>/mo?from=%p&to=%P&text=%a&ts=%T&token=...
//	HUIFANG_SMS_TOKEN           shared secret on the callback URLs (optional)
//	HUIFANG_SMS_RATE            messages per second handed to Kannel, across workers (default 100)
//	HUIFANG_KANNEL_DLR_MASK     delivery reports asked for (default 31, all; 19 = final states only)
type smsConfig struct {
	SendURL, User, Password, From string
	CallbackURL, Token            string
	Rate, DLRMask                 int
}

// loadSMSConfig reads the SMS settings through get (which also reads NAME_FILE secrets).
func loadSMSConfig(get func(name, def string) string, httpAddr string) (smsConfig, error) {
	c := smsConfig{
		SendURL: get("HUIFANG_KANNEL_SENDSMS_URL", ""), User: get("HUIFANG_KANNEL_USER", ""),
		Password: get("HUIFANG_KANNEL_PASSWORD", ""), From: get("HUIFANG_KANNEL_FROM", ""),
		CallbackURL: get("HUIFANG_SMS_CALLBACK_URL", ""), Token: get("HUIFANG_SMS_TOKEN", ""), Rate: 100,
	}
	if c.CallbackURL == "" {
		c.CallbackURL = "http://" + httpAddr + "/sms/kannel"
	}
	if v := get("HUIFANG_SMS_RATE", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("HUIFANG_SMS_RATE must be a positive integer, got %q", v)
		}
		c.Rate = n
	}
	if v := get("HUIFANG_KANNEL_DLR_MASK", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 31 {
			return c, fmt.Errorf("HUIFANG_KANNEL_DLR_MASK must be 1..31, got %q", v)
		}
		c.DLRMask = n
	}
	return c, nil
}

// smsSender returns the worker's SMS sender: Kannel when HUIFANG_KANNEL_SENDSMS_URL is
// set, else the development sender.
func smsSender(d *deps) (queue.Sender, error) {
	c := d.cfg.SMS
	if c.SendURL == "" {
		return queue.LogSender{DB: d.db, Log: d.log.With("part", "sms")}, nil
	}
	k, err := sms.NewKannel(sms.KannelConfig{
		SendURL: c.SendURL, Username: c.User, Password: c.Password, From: c.From,
		ReportURL: c.CallbackURL + "/dlr", Token: c.Token, DLRMask: c.DLRMask,
	})
	if err != nil {
		return nil, err
	}
	return &queue.ProviderSender{DB: d.db, Provider: k,
		Limiter: &queue.RateLimiter{Redis: d.rdb, PerSecond: map[string]int{k.Name(): c.Rate}}}, nil
}

// smsPart serves Kannel's callbacks (delivery reports, replies) on the HTTP part's mux,
// and runs the SMS housekeeping: every few seconds it releases held messages and requeues
// lost claims; every ten minutes it starts each dealer's daily SMS campaigns (birthdays,
// reminders), which adds nothing when they already ran that day. With the SIP gateway it
// also places each dealer's due message calls every 15 seconds (inside the calling window).
type smsPart struct {
	d      *deps
	gw     *gatewayPart
	calls  bool
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// reports groups the delivery reports of every provider into shared commits while
	// the part runs (without it each report is written alone).
	reports *sms.ReportBatcher
}

func newSMSPart(d *deps, gw *gatewayPart) *smsPart {
	p := &smsPart{d: d, gw: gw, log: d.log.With("part", "sms"), reports: sms.NewReportBatcher(d.db, 0)}
	if d.mux != nil {
		rec := &sms.Recorder{DB: d.db, Log: p.log, Batch: p.reports}
		d.mux.Handle("/sms/kannel/", &sms.KannelHandler{Recorder: rec, Token: d.cfg.SMS.Token})
	}
	return p
}

func (p *smsPart) name() string { return "sms" }

func (p *smsPart) start(ctx context.Context) error {
	// The sms part starts after the gateway part: a gateway that listens has a port.
	p.calls = p.gw != nil && p.gw.gw != nil && !strings.HasSuffix(p.gw.gw.Addr(), ":0")
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		p.reports.Run(ctx)
	}()
	go func() {
		defer p.wg.Done()
		sweep := time.NewTicker(5 * time.Second)
		defer sweep.Stop()
		daily := time.NewTicker(10 * time.Minute)
		defer daily.Stop()
		calls := time.NewTicker(15 * time.Second)
		defer calls.Stop()
		p.daily(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sweep.C:
				res, err := queue.SweepSMS(ctx, p.d.db, time.Now(), 10*time.Minute, 1000)
				if err != nil && ctx.Err() == nil {
					p.log.Error("sms sweep", "err", err)
				} else if res != nil && (res.Released > 0 || res.Requeued > 0) {
					p.log.Info("sms sweep", "released", res.Released, "requeued", res.Requeued)
				}
			case <-daily.C:
				p.daily(ctx)
			case <-calls.C:
				p.messageCalls(ctx)
			}
		}
	}()
	return nil
}

// daily starts today's SMS campaigns of every dealer.
func (p *smsPart) daily(ctx context.Context) {
	q := store.New(p.d.db)
	dealers, err := q.ListDealers(ctx)
	if err != nil {
		p.log.Error("daily sms", "err", err)
		return
	}
	now := time.Now()
	for _, d := range dealers {
		day, err := q.LocalDay(ctx, store.LocalDayParams{At: now, DealerID: d.ID})
		if err != nil {
			p.log.Error("daily sms", "dealer", d.Code, "err", err)
			continue
		}
		if _, err := queue.DailySMSCampaigns(ctx, p.d.db, d.ID, day, now); err != nil && ctx.Err() == nil {
			p.log.Error("daily sms", "dealer", d.Code, "err", err)
		}
	}
}

// messageCalls places a round of due message calls for every dealer, when the gateway runs.
func (p *smsPart) messageCalls(ctx context.Context) {
	if !p.calls {
		return
	}
	dealers, err := store.New(p.d.db).ListDealers(ctx)
	if err != nil {
		p.log.Error("message calls", "err", err)
		return
	}
	dialer := newGatewayMessageDialer(p.gw.gw)
	for _, d := range dealers {
		res, err := queue.RunMessageCalls(ctx, p.d.db, dialer, queue.MessageCallRunParams{DealerID: d.ID})
		if err != nil && ctx.Err() == nil {
			p.log.Error("message calls", "dealer", d.Code, "err", err)
		} else if res != nil && res.Called > 0 {
			p.log.Info("message calls", "dealer", d.Code, "called", res.Called, "keys", res.Keys)
		}
	}
}

func (p *smsPart) shutdown(ctx context.Context) error {
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	return stopWithin(ctx, "sms", p.wg.Wait)
}
