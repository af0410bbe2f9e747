package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
)

// AliyunConfig says how to reach Aliyun's SMS service (dysmsapi, SendSms).
type AliyunConfig struct {
	// AccessKeyID and AccessKeySecret are a RAM user's access key with SMS rights.
	AccessKeyID, AccessKeySecret string
	// Region is the API region; empty means cn-hangzhou.
	Region string
	// Endpoint overrides the API host (host or host:port), for tests; empty means
	// dysmsapi.aliyuncs.com, the service's endpoint for every mainland region.
	Endpoint string
	// Scheme is "https" (the default) or "http".
	Scheme string
	// Timeout bounds one request; zero means 10s.
	Timeout time.Duration
	// Client sends the requests; nil means an http.Client with Timeout.
	Client *http.Client
	// ConfirmAfter is how long after its claim a message Aliyun does not list is taken
	// as never accepted (Confirm); before that Confirm asks to be called again, as
	// Aliyun lists a message it accepted a little later. Zero means 2 minutes.
	ConfirmAfter time.Duration
	// Now is Confirm's clock; nil means time.Now.
	Now func() time.Time
}

// aliyunAPIVersion is the version of the dysmsapi API SendSms belongs to.
const aliyunAPIVersion = "2017-05-25"

// Aliyun submits messages to Aliyun SMS: one SendSms call of Aliyun's RPC API, a form
// POST signed with Aliyun's RPC signature (version 1.0, HMAC-SHA1 over the sorted,
// percent-encoded parameters), carrying the template approved at Aliyun (TemplateCode),
// its parameters as JSON (TemplateParam), the dealer's signature (SignName) and our
// message id as OutId, which Aliyun's reports carry back. It takes the caller's context,
// which Aliyun's SDK did not.
type Aliyun struct {
	cfg AliyunConfig
	url string
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
		cfg.Scheme = "https"
	case "http":
		cfg.Scheme = "http"
	default:
		return nil, fmt.Errorf("aliyun sms: scheme %q is not http or https", cfg.Scheme)
	}
	if strings.Contains(cfg.Endpoint, "/") {
		return nil, fmt.Errorf("aliyun sms: endpoint %q must be a host or host:port, without scheme or path", cfg.Endpoint)
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "dysmsapi.aliyuncs.com"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.ConfirmAfter <= 0 {
		cfg.ConfirmAfter = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Aliyun{cfg: cfg, url: cfg.Scheme + "://" + cfg.Endpoint + "/"}, nil
}

// Name is the provider name stored on each message.
func (a *Aliyun) Name() string { return "aliyun" }

// aliyunAnswer is SendSms's JSON answer (and the body of Aliyun's error answers).
type aliyunAnswer struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	BizID     string `json:"BizId"`
	RequestID string `json:"RequestId"`
}

// Submit sends m's template with its parameters and returns Aliyun's BizId. Refusals by
// Aliyun's documented codes (bad template, signature, number or parameters) are
// Permanent; throttling, server errors and a refused connection may be retried; a
// request that got no answer (ctx ended, timeout) is InDoubt.
func (a *Aliyun) Submit(ctx context.Context, m store.OutgoingSMS) (string, error) {
	if err := checkTemplate("aliyun", m); err != nil {
		return "", err
	}
	params := url.Values{
		"Action":       {"SendSms"},
		"Version":      {aliyunAPIVersion},
		"RegionId":     {a.cfg.Region},
		"PhoneNumbers": {m.Phone},
		"SignName":     {m.Sign},
		"TemplateCode": {m.ProviderTemplate},
		"OutId":        {strconv.FormatInt(m.ID, 10)},
	}
	if vars := templateParams(m); len(vars) > 0 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(vars); err != nil {
			return "", &Error{Provider: "aliyun", Err: err, permanent: true}
		}
		params.Set("TemplateParam", strings.TrimSpace(b.String()))
	}
	body := aliyunSignedForm(http.MethodPost, params, a.cfg.AccessKeyID, a.cfg.AccessKeySecret, time.Now(), rand.Text())
	if err := ctx.Err(); err != nil {
		return "", &Error{Provider: "aliyun", Err: err} // not sent
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, strings.NewReader(body))
	if err != nil {
		return "", &Error{Provider: "aliyun", Err: err, permanent: true}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return "", transportError("aliyun", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", &Error{Provider: "aliyun", Status: resp.StatusCode, Err: err, inDoubt: true}
	}
	var ans aliyunAnswer
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Code == "" {
		// Not Aliyun's answer (a proxy's page): a 5xx may pass later, anything else not.
		return "", aliyunRefusal(resp.StatusCode, "", strings.TrimSpace(string(raw)))
	}
	if ans.Code != "OK" || resp.StatusCode != http.StatusOK {
		return "", aliyunRefusal(resp.StatusCode, ans.Code, ans.Message)
	}
	if ans.BizID == "" {
		return params.Get("OutId"), nil
	}
	return ans.BizID, nil
}

// aliyunSignedForm returns params with Aliyun's common RPC parameters, signed, as a form
// body: Format, AccessKeyId, SignatureMethod HMAC-SHA1, SignatureVersion 1.0, the
// Timestamp (UTC) and SignatureNonce, then Signature over all of them as Aliyun's RPC
// signature mechanism (version 1.0) defines it.
func aliyunSignedForm(method string, params url.Values, keyID, secret string, now time.Time, nonce string) string {
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	p.Set("Format", "JSON")
	p.Set("AccessKeyId", keyID)
	p.Set("SignatureMethod", "HMAC-SHA1")
	p.Set("SignatureVersion", "1.0")
	p.Set("Timestamp", now.UTC().Format("2006-01-02T15:04:05Z"))
	p.Set("SignatureNonce", nonce)
	p.Set("Signature", aliyunSignature(method, p, secret))
	return p.Encode()
}

// aliyunSignature is the RPC signature of params (version 1.0): the parameters but
// Signature, sorted by name, each name and value percent-encoded (RFC 3986: space as
// %20, ~ kept) and joined as name=value&...; the string to sign is METHOD&%2F& followed
// by that query percent-encoded again; the signature is the base64 of its HMAC-SHA1
// with the key secret + "&".
func aliyunSignature(method string, params url.Values, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var q strings.Builder
	for i, k := range keys {
		if i > 0 {
			q.WriteByte('&')
		}
		q.WriteString(aliyunEscape(k) + "=" + aliyunEscape(params.Get(k)))
	}
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(method + "&" + aliyunEscape("/") + "&" + aliyunEscape(q.String())))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunEscape percent-encodes s as Aliyun's signature wants: every byte but A-Z a-z
// 0-9 - _ . ~ as %XX.
func aliyunEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
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
