package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/huifang/huifang/queue/notify"
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

// smsPart runs notify's Housekeeper (the SMS sweep, daily broadcasts, service notices
// and, with a listening SIP gateway, the message calls); the providers' callbacks are
// smsCallbackPart's.
type smsPart struct {
	d  *deps
	gw *gatewayPart
	h  *notify.Housekeeper
}

func newSMSPart(d *deps, gw *gatewayPart) *smsPart {
	return &smsPart{d: d, gw: gw}
}

func (p *smsPart) name() string { return "sms" }

func (p *smsPart) start(ctx context.Context) error {
	provider, err := smsProvider(p.d)
	if err != nil {
		return err
	}
	cfg := notify.HousekeeperConfig{DB: p.d.db, Log: p.d.log.With("part", "sms"), Now: p.d.clock(), Recovered: recoveredMetric(p.d)}
	if c, ok := provider.(notify.Confirmer); ok {
		cfg.Confirmer = c
	}
	// The sms part starts after the gateway part: a gateway that listens has a port.
	if p.gw != nil && p.gw.gw != nil && !strings.HasSuffix(p.gw.gw.Addr(), ":0") {
		gw := p.gw.gw
		cfg.Dialer = func() notify.MessageDialer { return newGatewayMessageDialer(gw) }
	}
	p.h = notify.NewHousekeeper(cfg)
	p.h.Start(ctx)
	return nil
}

func (p *smsPart) shutdown(ctx context.Context) error {
	if p.h == nil {
		return nil
	}
	return p.h.Shutdown(ctx)
}
