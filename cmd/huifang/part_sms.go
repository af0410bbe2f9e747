package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/sms"
)

// smsConfig is the SMS gateway configuration, from the environment:
//
//	HUIFANG_SMS_PROVIDER        kannel, aliyun, tencent or log (the development sender, which
//	                            sends nothing); default kannel when HUIFANG_KANNEL_SENDSMS_URL
//	                            is set, else log
//	HUIFANG_KANNEL_SENDSMS_URL  smsbox's sendsms URL (http://127.0.0.1:13013/cgi-bin/sendsms)
//	HUIFANG_KANNEL_USER, HUIFANG_KANNEL_PASSWORD  the smsbox sendsms-user
//	HUIFANG_KANNEL_FROM         the sender number (optional)
//	HUIFANG_SMS_CALLBACK_ADDR   the listen address of the providers' callbacks, a listener of
//	                            its own, never the public console port (default 127.0.0.1:8091;
//	                            off serves none)
//	HUIFANG_SMS_CALLBACK_URL    our base URL as Kannel reaches it (default
//	                            http://HUIFANG_SMS_CALLBACK_ADDR/sms/kannel); Kannel's
//	                            sms-service get-url is <this>/mo?from=%p&to=%P&text=%a&ts=%T&token=...
//	HUIFANG_SMS_TOKEN           shared secret on the callback URLs, Kannel's and the cloud
//	                            providers' (/sms/aliyun/report, /sms/aliyun/reply,
//	                            /sms/tencent/report, /sms/tencent/reply, with ?token=...);
//	                            required with a real sender (anything but log): at least 16
//	                            letters, digits, _ or -
//	HUIFANG_SMS_RATE            messages per second handed to the provider, across workers (default 100)
//	HUIFANG_KANNEL_DLR_MASK     delivery reports asked for (default 31, all; 19 = final states only)
//	HUIFANG_ALIYUN_ACCESS_KEY_ID, HUIFANG_ALIYUN_ACCESS_KEY_SECRET  an Aliyun RAM access key
//	HUIFANG_ALIYUN_REGION       the API region (default cn-hangzhou)
//	HUIFANG_ALIYUN_ENDPOINT     the API host, or http(s)://host:port (optional; dysmsapi.aliyuncs.com by default)
//	HUIFANG_TENCENT_SECRET_ID, HUIFANG_TENCENT_SECRET_KEY  a Tencent Cloud API key
//	HUIFANG_TENCENT_SDK_APP_ID  the SMS application (SmsSdkAppId)
//	HUIFANG_TENCENT_REGION      the API region (default ap-guangzhou)
//	HUIFANG_TENCENT_ENDPOINT    the API host, or http(s)://host:port (optional)
//
// The cloud providers send only templates approved there: each template the dealer sends
// needs its provider template code, set on the director's SMS template page.
type smsConfig struct {
	Provider                      string
	SendURL, User, Password, From string
	CallbackAddr                  string
	CallbackURL, Token            string
	Rate, DLRMask                 int
	Aliyun                        sms.AliyunConfig
	Tencent                       sms.TencentConfig
}

// loadSMSConfig reads the SMS settings through get (which also reads NAME_FILE secrets);
// httpAddr is the console's address, which the callbacks may not share.
func loadSMSConfig(get func(name, def string) string, httpAddr string) (smsConfig, error) {
	c := smsConfig{
		SendURL: get("HUIFANG_KANNEL_SENDSMS_URL", ""), User: get("HUIFANG_KANNEL_USER", ""),
		Password: get("HUIFANG_KANNEL_PASSWORD", ""), From: get("HUIFANG_KANNEL_FROM", ""),
		CallbackAddr: get("HUIFANG_SMS_CALLBACK_ADDR", "127.0.0.1:8091"),
		CallbackURL:  get("HUIFANG_SMS_CALLBACK_URL", ""), Token: get("HUIFANG_SMS_TOKEN", ""), Rate: 100,
	}
	if err := checkCallbackAddr(c.CallbackAddr, httpAddr); err != nil {
		return c, err
	}
	if c.CallbackURL == "" && c.CallbackAddr != "off" {
		c.CallbackURL = "http://" + c.CallbackAddr + "/sms/kannel"
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
	def := "log"
	if c.SendURL != "" {
		def = "kannel"
	}
	c.Provider = strings.ToLower(get("HUIFANG_SMS_PROVIDER", def))
	var err error
	switch c.Provider {
	case "log":
	case "kannel":
		if c.SendURL == "" {
			return c, fmt.Errorf("HUIFANG_SMS_PROVIDER=kannel needs HUIFANG_KANNEL_SENDSMS_URL")
		}
	case "aliyun":
		c.Aliyun = sms.AliyunConfig{AccessKeyID: get("HUIFANG_ALIYUN_ACCESS_KEY_ID", ""),
			AccessKeySecret: get("HUIFANG_ALIYUN_ACCESS_KEY_SECRET", ""), Region: get("HUIFANG_ALIYUN_REGION", "cn-hangzhou")}
		if c.Aliyun.Endpoint, c.Aliyun.Scheme, err = splitEndpoint("HUIFANG_ALIYUN_ENDPOINT", get("HUIFANG_ALIYUN_ENDPOINT", "")); err != nil {
			return c, err
		}
		if err := missing(map[string]string{"HUIFANG_ALIYUN_ACCESS_KEY_ID": c.Aliyun.AccessKeyID,
			"HUIFANG_ALIYUN_ACCESS_KEY_SECRET": c.Aliyun.AccessKeySecret}, "aliyun"); err != nil {
			return c, err
		}
	case "tencent":
		c.Tencent = sms.TencentConfig{SecretID: get("HUIFANG_TENCENT_SECRET_ID", ""), SecretKey: get("HUIFANG_TENCENT_SECRET_KEY", ""),
			SDKAppID: get("HUIFANG_TENCENT_SDK_APP_ID", ""), Region: get("HUIFANG_TENCENT_REGION", "ap-guangzhou")}
		if c.Tencent.Endpoint, c.Tencent.Scheme, err = splitEndpoint("HUIFANG_TENCENT_ENDPOINT", get("HUIFANG_TENCENT_ENDPOINT", "")); err != nil {
			return c, err
		}
		if err := missing(map[string]string{"HUIFANG_TENCENT_SECRET_ID": c.Tencent.SecretID,
			"HUIFANG_TENCENT_SECRET_KEY": c.Tencent.SecretKey, "HUIFANG_TENCENT_SDK_APP_ID": c.Tencent.SDKAppID}, "tencent"); err != nil {
			return c, err
		}
	default:
		return c, fmt.Errorf("HUIFANG_SMS_PROVIDER must be kannel, aliyun, tencent or log, got %q", c.Provider)
	}
	if err := checkSMSToken(c.Provider, c.Token); err != nil {
		return c, err
	}
	return c, nil
}

// missing names the settings a provider needs that are empty.
func missing(settings map[string]string, provider string) error {
	var names []string
	for name, v := range settings {
		if v == "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return fmt.Errorf("HUIFANG_SMS_PROVIDER=%s needs %s", provider, strings.Join(names, ", "))
}

// splitEndpoint reads an endpoint setting: a host[:port] (HTTPS) or an http(s) URL
// without a path; it returns the host and the scheme.
func splitEndpoint(name, v string) (host, scheme string, err error) {
	if v == "" || !strings.Contains(v, "://") {
		return v, "https", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return "", "", fmt.Errorf("%s must be a host[:port] or an http(s)://host[:port] URL, got %q", name, v)
	}
	return u.Host, u.Scheme, nil
}

// smsSender returns the worker's SMS sender for HUIFANG_SMS_PROVIDER: Kannel, Aliyun or
// Tencent behind the queue's ProviderSender, rate-limited per provider, or the
// development sender.
func smsSender(d *deps) (notify.Sender, error) {
	p, err := smsProvider(d)
	if err != nil || p == nil {
		return notify.LogSender{DB: d.db, Log: d.log.With("part", "sms")}, err
	}
	if d.metrics != nil {
		p = d.metrics.notify.Provider(p)
	}
	return &notify.ProviderSender{DB: d.db, Provider: p, Log: d.log.With("part", "sms"),
		Limiter: &notify.RateLimiter{Redis: d.rdb, PerSecond: map[string]int{p.Name(): d.cfg.SMS.Rate}}}, nil
}

// smsProvider returns the gateway of HUIFANG_SMS_PROVIDER, nil for the development sender.
func smsProvider(d *deps) (notify.Provider, error) {
	c := d.cfg.SMS
	var p notify.Provider
	var err error
	switch c.Provider {
	case "kannel":
		p, err = sms.NewKannel(sms.KannelConfig{
			SendURL: c.SendURL, Username: c.User, Password: c.Password, From: c.From,
			ReportURL: c.CallbackURL + "/dlr", Token: c.Token, DLRMask: c.DLRMask,
		})
	case "aliyun":
		p, err = sms.NewAliyun(c.Aliyun)
	case "tencent":
		p, err = sms.NewTencent(c.Tencent)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// smsPart runs the SMS housekeeping (the providers' callbacks are smsCallbackPart's):
// every few seconds it releases held messages and settles stranded claims
// (notify.SMSSweep: confirmed by the provider where it can, else marked uncertain, never
// sent again blindly), with one log line and huifang_recovered_total per recovery; every
// ten minutes it starts each
// dealer's daily SMS campaigns (birthdays, reminders), which adds nothing when they
// already ran that day. With the SIP gateway it also places each dealer's due message
// calls every 15 seconds (inside the calling window).
type smsPart struct {
	d      *deps
	gw     *gatewayPart
	calls  bool
	log    *slog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newSMSPart(d *deps, gw *gatewayPart) *smsPart {
	return &smsPart{d: d, gw: gw, log: d.log.With("part", "sms")}
}

func (p *smsPart) name() string { return "sms" }

func (p *smsPart) start(ctx context.Context) error {
	// The sms part starts after the gateway part: a gateway that listens has a port.
	p.calls = p.gw != nil && p.gw.gw != nil && !strings.HasSuffix(p.gw.gw.Addr(), ":0")
	provider, err := smsProvider(p.d)
	if err != nil {
		return err
	}
	sweeper := &notify.SMSSweep{DB: p.d.db, Log: p.log}
	if c, ok := provider.(notify.Confirmer); ok {
		sweeper.Confirmer = c
	}
	recovered := recoveredMetric(p.d)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		sweep := time.NewTicker(5 * time.Second)
		defer sweep.Stop()
		daily := time.NewTicker(10 * time.Minute)
		defer daily.Stop()
		calls := time.NewTicker(15 * time.Second)
		defer calls.Stop()
		notices := time.NewTicker(time.Minute)
		defer notices.Stop()
		p.daily(ctx)
		p.notices(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sweep.C:
				res, err := sweeper.Run(ctx, time.Now())
				if err != nil && ctx.Err() == nil {
					p.log.Error("sms sweep", "err", err)
				}
				if res != nil {
					p.logSweep(res, recovered)
				}
			case <-daily.C:
				p.daily(ctx)
			case <-calls.C:
				p.messageCalls(ctx)
			case <-notices.C:
				p.notices(ctx)
			}
		}
	}()
	return nil
}

// logSweep writes one line per sweep that changed anything and counts the recoveries:
// stranded messages marked uncertain (with their ids), settled by the provider, released
// again.
func (p *smsPart) logSweep(res *notify.SMSSweepResult, recovered *prometheus.CounterVec) {
	recovered.WithLabelValues("sms_uncertain").Add(float64(len(res.Uncertain)))
	recovered.WithLabelValues("sms_confirmed").Add(float64(res.Confirmed))
	recovered.WithLabelValues("sms_requeued").Add(float64(res.Requeued))
	recovered.WithLabelValues("sms_rereleased").Add(float64(res.Rereleased))
	switch {
	case len(res.Uncertain) > 0 || res.Confirmed > 0 || res.Requeued > 0 || res.Rereleased > 0:
		ids := res.Uncertain
		if len(ids) > 20 {
			ids = ids[:20]
		}
		p.log.Warn("sms sweep: recovered after a fault", "uncertain", len(res.Uncertain), "uncertain_ids", ids,
			"confirmed", res.Confirmed, "requeued", res.Requeued, "rereleased", res.Rereleased, "released", res.Released)
	case res.Released > 0:
		p.log.Info("sms sweep", "released", res.Released)
	}
}

// daily starts today's SMS campaigns of every dealer.
func (p *smsPart) daily(ctx context.Context) {
	q := store.New(p.d.db)
	dealers, err := q.ListDealers(ctx)
	if err != nil {
		p.log.Error("daily sms", "err", err)
		return
	}
	now := p.d.clock()()
	for _, d := range dealers {
		day, err := q.LocalDay(ctx, store.LocalDayParams{At: now, DealerID: d.ID})
		if err != nil {
			p.log.Error("daily sms", "dealer", d.Code, "err", err)
			continue
		}
		if _, err := notify.DailySMSBroadcasts(ctx, p.d.db, d.ID, day, now); err != nil && ctx.Err() == nil {
			p.log.Error("daily sms", "dealer", d.Code, "err", err)
		}
	}
}

// notices queues every dealer's appointment reminders and thank-you SMS that are due now
// (notify.QueueServiceNotices); run every minute, so "at once" is within a minute.
func (p *smsPart) notices(ctx context.Context) {
	dealers, err := store.New(p.d.db).ListDealers(ctx)
	if err != nil {
		p.log.Error("service notices", "err", err)
		return
	}
	now := p.d.clock()()
	for _, d := range dealers {
		res, err := notify.QueueServiceNotices(ctx, p.d.db, d.ID, now)
		if err != nil && ctx.Err() == nil {
			p.log.Error("service notices", "dealer", d.Code, "err", err)
			continue
		}
		if res.Reminders+res.ThankYous+res.Suppressed > 0 {
			p.log.Info("service notices queued", "dealer", d.Code, "reminders", res.Reminders, "thank_you", res.ThankYous, "suppressed", res.Suppressed)
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
		res, err := notify.RunMessageCalls(ctx, p.d.db, dialer, notify.MessageCallRunParams{DealerID: d.ID})
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
