package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/dysmsapi"

	"github.com/huifang/huifang/store"
)

// AliyunConfig says how to reach Aliyun's SMS service (dysmsapi, SendSms).
type AliyunConfig struct {
	// AccessKeyID and AccessKeySecret are a RAM user's access key with SMS rights.
	AccessKeyID, AccessKeySecret string
	// Region is the API region; empty means cn-hangzhou.
	Region string
	// Endpoint overrides the API host (host or host:port), for tests; empty means the
	// SDK's endpoint for the region (dysmsapi.aliyuncs.com).
	Endpoint string
	// Scheme is "https" (the default) or "http".
	Scheme string
	// Timeout bounds one request; zero means 10s.
	Timeout time.Duration
}

// Aliyun submits messages to Aliyun SMS through its Go SDK: the template approved at
// Aliyun (TemplateCode), its parameters as JSON (TemplateParam), the dealer's signature
// (SignName) and our message id as OutId, which Aliyun's reports carry back.
type Aliyun struct {
	cfg AliyunConfig
	// clients are SDK clients not in use: an SDK client changes its own state on each
	// request, so each request takes one for itself.
	clients sync.Pool
}

// NewAliyun checks cfg and returns an Aliyun sender.
func NewAliyun(cfg AliyunConfig) (*Aliyun, error) {
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("aliyun sms: the access key id and secret are both required")
	}
	if cfg.Region == "" {
		cfg.Region = "cn-hangzhou"
	}
	switch strings.ToLower(cfg.Scheme) {
	case "", "https":
		cfg.Scheme = "HTTPS"
	case "http":
		cfg.Scheme = "HTTP"
	default:
		return nil, fmt.Errorf("aliyun sms: scheme %q is not http or https", cfg.Scheme)
	}
	if strings.Contains(cfg.Endpoint, "/") {
		return nil, fmt.Errorf("aliyun sms: endpoint %q must be a host or host:port, without scheme or path", cfg.Endpoint)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	a := &Aliyun{cfg: cfg}
	c, err := a.newClient()
	if err != nil {
		return nil, err
	}
	a.clients.Put(c)
	return a, nil
}

func (a *Aliyun) newClient() (*dysmsapi.Client, error) {
	c, err := dysmsapi.NewClientWithAccessKey(a.cfg.Region, a.cfg.AccessKeyID, a.cfg.AccessKeySecret)
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: client: %w", err)
	}
	return c, nil
}

// Name is the provider name stored on each message.
func (a *Aliyun) Name() string { return "aliyun" }

// Submit sends m's template with its parameters and returns Aliyun's BizId. Refusals by
// Aliyun's documented codes (bad template, signature, number or parameters) are
// Permanent; throttling, server errors and a refused connection may be retried; a
// request that got no answer is InDoubt. The SDK takes no context: when ctx ends first
// the message is in doubt.
func (a *Aliyun) Submit(ctx context.Context, m store.OutgoingSMS) (string, error) {
	if err := checkTemplate("aliyun", m); err != nil {
		return "", err
	}
	req := dysmsapi.CreateSendSmsRequest()
	req.Scheme = a.cfg.Scheme
	if a.cfg.Endpoint != "" {
		req.Domain = a.cfg.Endpoint
	}
	req.SetReadTimeout(a.cfg.Timeout)
	req.SetConnectTimeout(5 * time.Second)
	req.PhoneNumbers = m.Phone
	req.SignName = m.Sign
	req.TemplateCode = m.ProviderTemplate
	req.OutId = strconv.FormatInt(m.ID, 10)
	if params := templateParams(m); len(params) > 0 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(params); err != nil {
			return "", &Error{Provider: "aliyun", Err: err, permanent: true}
		}
		req.TemplateParam = strings.TrimSpace(b.String())
	}
	if err := ctx.Err(); err != nil {
		return "", &Error{Provider: "aliyun", Err: err} // not sent
	}
	c, _ := a.clients.Get().(*dysmsapi.Client)
	if c == nil {
		var err error
		if c, err = a.newClient(); err != nil {
			return "", &Error{Provider: "aliyun", Err: err}
		}
	}
	type result struct {
		resp *dysmsapi.SendSmsResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := c.SendSms(req)
		a.clients.Put(c)
		done <- result{resp, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return "", &Error{Provider: "aliyun", Err: ctx.Err(), inDoubt: true}
	}
	if res.err != nil {
		return "", aliyunError(res.err)
	}
	if res.resp.Code != "OK" {
		return "", aliyunRefusal(res.resp.GetHttpStatus(), res.resp.Code, res.resp.Message)
	}
	if res.resp.BizId == "" {
		return req.OutId, nil
	}
	return res.resp.BizId, nil
}

// aliyunError classifies an error the SDK returned.
func aliyunError(err error) *Error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return aliyunRefusal(se.HttpStatus(), se.ErrorCode(), se.Message())
	}
	return transportError("aliyun", err)
}

// aliyunRetryable are Aliyun's codes for refusals that may pass later: throttling, the
// per-number and daily flow control, an empty balance, and Aliyun's own failures.
var aliyunRetryable = map[string]bool{
	"isp.SYSTEM_ERROR":           true,
	"isv.BUSINESS_LIMIT_CONTROL": true,
	"isv.DAY_LIMIT_CONTROL":      true,
	"isv.AMOUNT_NOT_ENOUGH":      true,
	"isv.OUT_OF_SERVICE":         true,
	"isp.OUT_OF_SERVICE":         true,
	"SignatureNonceUsed":         true,
	"ServiceUnavailable":         true,
	"InternalError":              true,
}

// aliyunRefusal classifies an answer that is not OK: HTTP 5xx, throttling and the codes
// in aliyunRetryable may be retried; every other code (isv.SMS_TEMPLATE_ILLEGAL,
// isv.SMS_SIGNATURE_ILLEGAL, isv.MOBILE_NUMBER_ILLEGAL, isv.TEMPLATE_MISSING_PARAMETERS,
// isv.INVALID_PARAMETERS, isv.BLACK_KEY_CONTROL_LIMIT, InvalidAccessKeyId.NotFound...) is
// a refusal for good.
func aliyunRefusal(status int, code, msg string) *Error {
	e := &Error{Provider: "aliyun", Status: status, Code: code, Body: msg}
	e.permanent = status < 500 && !aliyunRetryable[code] && !strings.HasPrefix(code, "Throttling")
	return e
}

// AliyunHandler serves the callbacks Aliyun pushes over HTTP (set in the SMS console's
// "HTTP批量推送模式"): POST <prefix>/report (SmsReport, delivery reports) and POST
// <prefix>/reply (SmsUp, incoming SMS), each a JSON array. It answers
// {"code":0,"msg":"成功"}; anything else makes Aliyun push again.
type AliyunHandler struct {
	// Recorder writes what arrives.
	Recorder *Recorder
	// Token must match the token parameter when set.
	Token string
	// Now is the clock for reports without a time; nil means time.Now.
	Now func() time.Time
}

// aliyunReport is one SmsReport item.
type aliyunReport struct {
	PhoneNumber string `json:"phone_number"`
	SendTime    string `json:"send_time"`
	ReportTime  string `json:"report_time"`
	Success     *bool  `json:"success"`
	ErrCode     string `json:"err_code"`
	ErrMsg      string `json:"err_msg"`
	SMSSize     string `json:"sms_size"`
	BizID       string `json:"biz_id"`
	OutID       string `json:"out_id"`
}

// aliyunUp is one SmsUp item.
type aliyunUp struct {
	PhoneNumber string `json:"phone_number"`
	SendTime    string `json:"send_time"`
	Content     string `json:"content"`
	SignName    string `json:"sign_name"`
	DestCode    string `json:"dest_code"`
	SequenceID  int64  `json:"sequence_id"`
}

// ServeHTTP routes by the last path element, report or reply.
func (h *AliyunHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &cloudCallback{provider: "aliyun", rec: h.Recorder, token: h.Token, now: h.Now}
	if !c.authorized(w, r) {
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/report"):
		items, err := decodeList[aliyunReport](r, "aliyun SmsReport")
		if err == nil {
			err = checkAliyunReports(items)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, it := range items {
			rep := Report{Kind: "delivered", Code: it.ErrCode, Detail: it.ErrMsg, At: c.parseChinaTime(it.ReportTime)}
			if !*it.Success {
				rep.Kind = "failed"
				rep.Detail = strings.TrimSpace(it.ErrCode + " " + it.ErrMsg)
			}
			if err := c.report(r.Context(), it.BizID, it.OutID, rep); err != nil {
				c.fail(w, "report", err)
				return
			}
		}
	case strings.HasSuffix(r.URL.Path, "/reply"):
		items, err := decodeList[aliyunUp](r, "aliyun SmsUp")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for i, it := range items {
			if it.PhoneNumber == "" {
				http.Error(w, fmt.Sprintf("aliyun SmsUp: item %d has no phone_number", i), http.StatusBadRequest)
				return
			}
		}
		for _, it := range items {
			if err := c.reply(r.Context(), Reply{From: it.PhoneNumber, To: it.DestCode, Text: it.Content, At: c.parseChinaTime(it.SendTime)}); err != nil {
				c.fail(w, "reply", err)
				return
			}
		}
	default:
		http.NotFound(w, r)
		return
	}
	writeJSON(w, map[string]any{"code": 0, "msg": "成功"})
}

// checkAliyunReports refuses reports without an outcome or without an id.
func checkAliyunReports(items []aliyunReport) error {
	for i, it := range items {
		if it.Success == nil {
			return fmt.Errorf("aliyun SmsReport: item %d has no success field", i)
		}
		if it.BizID == "" && it.OutID == "" {
			return fmt.Errorf("aliyun SmsReport: item %d has neither biz_id nor out_id", i)
		}
	}
	return nil
}
