package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// TencentConfig says how to reach Tencent Cloud SMS (sms v20210111, SendSms).
type TencentConfig struct {
	// SecretID and SecretKey are a CAM API key with SMS rights.
	SecretID, SecretKey string
	// Region is the API region; empty means ap-guangzhou.
	Region string
	// SDKAppID is the SMS application (SmsSdkAppId, 1400xxxxxx).
	SDKAppID string
	// Endpoint overrides the API host (host or host:port), for tests; empty means the
	// SDK's (sms.tencentcloudapi.com).
	Endpoint string
	// Scheme is "https" (the default) or "http".
	Scheme string
	// Timeout bounds one request; zero means 10s.
	Timeout time.Duration
	// ConfirmAfter is how long after its claim Confirm waits for a message Tencent does
	// not list (its status report may come a little later) before it gives up and
	// leaves the message to a person; before that Confirm asks to be called again.
	// Zero means 2 minutes, as for Aliyun.
	ConfirmAfter time.Duration
	// Now is Confirm's clock; nil means time.Now.
	Now func() time.Time
}

// Tencent submits messages to Tencent Cloud SMS through its Go SDK: the template
// approved at Tencent (TemplateId), its parameters by position (TemplateParamSet, the
// template's variables in order of first appearance), the dealer's signature (SignName)
// and our message id as SessionContext, which Tencent's reports carry back.
type Tencent struct {
	cfg    TencentConfig
	client *tcsms.Client
}

// NewTencent checks cfg and returns a Tencent sender.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	if cfg.SecretID == "" || cfg.SecretKey == "" {
		return nil, errors.New("tencent sms: the secret id and key are both required")
	}
	if cfg.SDKAppID == "" {
		return nil, errors.New("tencent sms: the SMS SDK app id (SmsSdkAppId) is required")
	}
	if _, err := strconv.ParseUint(cfg.SDKAppID, 10, 64); err != nil {
		return nil, fmt.Errorf("tencent sms: SDK app id %q is not a number", cfg.SDKAppID)
	}
	if cfg.Region == "" {
		cfg.Region = "ap-guangzhou"
	}
	if strings.Contains(cfg.Endpoint, "/") {
		return nil, fmt.Errorf("tencent sms: endpoint %q must be a host or host:port, without scheme or path", cfg.Endpoint)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ConfirmAfter <= 0 {
		cfg.ConfirmAfter = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := profile.NewClientProfile()
	switch strings.ToLower(cfg.Scheme) {
	case "", "https":
		p.HttpProfile.Scheme = "HTTPS"
	case "http":
		p.HttpProfile.Scheme = "HTTP"
	default:
		return nil, fmt.Errorf("tencent sms: scheme %q is not http or https", cfg.Scheme)
	}
	p.HttpProfile.Endpoint = cfg.Endpoint
	p.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	// The queue retries; a retry inside the SDK could send a message twice.
	p.NetworkFailureMaxRetries, p.RateLimitExceededMaxRetries = 0, 0
	c, err := tcsms.NewClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, p)
	if err != nil {
		return nil, fmt.Errorf("tencent sms: client: %w", err)
	}
	c.WithHttpTransport(statusTransport{http.DefaultTransport.(*http.Transport).Clone()})
	return &Tencent{cfg: cfg, client: c}, nil
}

// Name is the provider name stored on each message.
func (t *Tencent) Name() string { return "tencent" }

// Submit sends m's template with its parameters and returns Tencent's SerialNo.
// Refusals by Tencent's documented codes (template or signature not approved, bad
// number, bad parameters, blacklisted number...) are Permanent; throttling, limits,
// Tencent's internal errors and a refused connection may be retried; a request that got
// no answer is InDoubt.
func (t *Tencent) Submit(ctx context.Context, m store.OutgoingSMS) (string, error) {
	if err := checkTemplate("tencent", m); err != nil {
		return "", err
	}
	req := tcsms.NewSendSmsRequest()
	req.PhoneNumberSet = common.StringPtrs([]string{phone.E164(m.Phone)})
	req.SmsSdkAppId = common.StringPtr(t.cfg.SDKAppID)
	req.TemplateId = common.StringPtr(m.ProviderTemplate)
	req.SignName = common.StringPtr(m.Sign)
	if params := m.Params(); len(params) > 0 {
		req.TemplateParamSet = common.StringPtrs(params)
	}
	req.SessionContext = common.StringPtr(strconv.FormatInt(m.ID, 10))
	var status int
	resp, err := t.client.SendSmsWithContext(context.WithValue(ctx, statusKey{}, &status), req)
	if err != nil {
		if status >= 500 {
			// A gateway or server failure in front of the API: the SDK could not read it.
			return "", &Error{Provider: "tencent", Status: status, Err: err}
		}
		return "", tencentError(err)
	}
	if resp.Response == nil || len(resp.Response.SendStatusSet) == 0 || resp.Response.SendStatusSet[0] == nil {
		// Tencent answered without saying what became of the message.
		return "", &Error{Provider: "tencent", Body: "the answer has no SendStatusSet", inDoubt: true}
	}
	st := resp.Response.SendStatusSet[0]
	code, msg := deref(st.Code), deref(st.Message)
	if !strings.EqualFold(code, "Ok") {
		return "", tencentRefusal(code, msg)
	}
	if id := deref(st.SerialNo); id != "" {
		return id, nil
	}
	return strconv.FormatInt(m.ID, 10), nil
}

// statusKey is the context key of the *int where statusTransport puts the HTTP status.
type statusKey struct{}

// statusTransport tells Submit the HTTP status of its request, which the SDK's errors
// do not say when the body is not Tencent's JSON.
type statusTransport struct{ base http.RoundTripper }

// RoundTrip sends r and notes the answer's status.
func (s statusTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(r)
	if p, ok := r.Context().Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// tencentError classifies an error the SDK returned.
func tencentError(err error) *Error {
	var te *tcerrors.TencentCloudSDKError
	if !errors.As(err, &te) {
		return transportError("tencent", err)
	}
	switch te.Code {
	case "ClientError.NetworkError":
		return &Error{Provider: "tencent", Code: te.Code, Body: te.Message, inDoubt: !notSent(errors.New(te.Message))}
	case "ClientError.IOError", "ClientError.ParseJsonError":
		// The request arrived; its answer was lost.
		return &Error{Provider: "tencent", Code: te.Code, Body: te.Message, inDoubt: true}
	case "ClientError.HttpStatusCodeError", "ClientError.CircuitBreakerError":
		return &Error{Provider: "tencent", Code: te.Code, Body: te.Message}
	}
	return tencentRefusal(te.Code, te.Message)
}

// tencentRefusal classifies an error code of the API or of one number's send status:
// throttling and limits (RequestLimitExceeded, LimitExceeded.*), Tencent's own failures
// (InternalError.*, ResourceUnavailable.*) and an empty SMS package may be retried;
// every other code (FailedOperation.TemplateIncorrectOrUnapproved,
// FailedOperation.SignatureIncorrectOrUnapproved, InvalidParameterValue.IncorrectPhoneNumber,
// InvalidParameterValue.TemplateParameterFormatError, FailedOperation.PhoneNumberInBlacklist,
// UnauthorizedOperation.*, AuthFailure.*...) is a refusal for good.
func tencentRefusal(code, msg string) *Error {
	e := &Error{Provider: "tencent", Code: code, Body: msg}
	retry := code == "RequestLimitExceeded" || code == "FailedOperation.InsufficientBalanceInSmsPackage" ||
		strings.HasPrefix(code, "LimitExceeded.") || strings.HasPrefix(code, "InternalError") ||
		strings.HasPrefix(code, "ResourceUnavailable")
	e.permanent = !retry
	return e
}

// TencentHandler serves the callbacks Tencent Cloud SMS pushes (set in the SMS
// console's callback settings): POST <prefix>/report (status reports, a JSON array) and
// POST <prefix>/reply (replies). It answers {"result":0,"errmsg":"OK"}.
type TencentHandler struct {
	// Recorder writes what arrives.
	Recorder *Recorder
	// Token must match the token parameter when set.
	Token string
	// Now is the clock for reports without a time; nil means time.Now.
	Now func() time.Time
}

// tencentReport is one status report.
type tencentReport struct {
	UserReceiveTime string          `json:"user_receive_time"`
	NationCode      string          `json:"nationcode"`
	Mobile          string          `json:"mobile"`
	ReportStatus    string          `json:"report_status"`
	ErrMsg          string          `json:"errmsg"`
	Description     string          `json:"description"`
	SID             string          `json:"sid"`
	Ext             json.RawMessage `json:"ext"`
}

// tencentReply is one reply.
type tencentReply struct {
	Extend     string `json:"extend"`
	Mobile     string `json:"mobile"`
	NationCode string `json:"nationcode"`
	Sign       string `json:"sign"`
	Text       string `json:"text"`
	Time       int64  `json:"time"`
}

// ServeHTTP routes by the last path element, report or reply.
func (h *TencentHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &cloudCallback{provider: "tencent", rec: h.Recorder, token: h.Token, now: h.Now}
	if !c.authorized(w, r) {
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/report"):
		items, err := decodeList[tencentReport](r, "tencent status report")
		if err == nil {
			err = checkTencentReports(items)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, it := range items {
			rep := Report{Kind: "delivered", Code: it.ErrMsg, Detail: it.Description, At: c.parseChinaTime(it.UserReceiveTime)}
			if strings.EqualFold(it.ReportStatus, "FAIL") {
				rep.Kind = "failed"
				rep.Detail = strings.TrimSpace(it.ErrMsg + " " + it.Description)
			}
			if err := c.report(r.Context(), it.SID, extString(it.Ext), rep); err != nil {
				c.fail(w, "report", err)
				return
			}
		}
	case strings.HasSuffix(r.URL.Path, "/reply"):
		items, err := decodeList[tencentReply](r, "tencent reply")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for i, it := range items {
			if it.Mobile == "" {
				http.Error(w, fmt.Sprintf("tencent reply: item %d has no mobile", i), http.StatusBadRequest)
				return
			}
		}
		for _, it := range items {
			at := c.clock()
			if it.Time > 0 {
				at = time.Unix(it.Time, 0)
			}
			from := it.Mobile
			if it.NationCode != "" && it.NationCode != "86" {
				from = "00" + it.NationCode + it.Mobile
			}
			if err := c.reply(r.Context(), Reply{From: from, To: it.Extend, Text: it.Text, At: at}); err != nil {
				c.fail(w, "reply", err)
				return
			}
		}
	default:
		http.NotFound(w, r)
		return
	}
	writeJSON(w, map[string]any{"result": 0, "errmsg": "OK"})
}

// checkTencentReports refuses reports without a known status or without an id.
func checkTencentReports(items []tencentReport) error {
	for i, it := range items {
		if s := strings.ToUpper(it.ReportStatus); s != "SUCCESS" && s != "FAIL" {
			return fmt.Errorf("tencent status report: item %d: report_status %q is not SUCCESS or FAIL", i, it.ReportStatus)
		}
		if it.SID == "" && extString(it.Ext) == "" {
			return fmt.Errorf("tencent status report: item %d has neither sid nor ext", i)
		}
	}
	return nil
}

// extString reads the report's ext (our SessionContext) when it is a string or a number.
func extString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
