package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
)

// KannelConfig says how to reach a Kannel smsbox and where Kannel sends reports.
type KannelConfig struct {
	// SendURL is smsbox's sendsms endpoint, such as http://127.0.0.1:13013/cgi-bin/sendsms.
	SendURL string
	// Username and Password are a sendsms-user of the smsbox.
	Username string
	Password string
	// From is the sender number (the dealer's long code); empty lets Kannel choose.
	From string
	// SMSC routes to one smsc-id; empty lets Kannel route.
	SMSC string
	// ReportURL is the base URL of our DLR endpoint as Kannel reaches it, such as
	// http://127.0.0.1:8091/sms/kannel/dlr; empty asks for no delivery reports.
	ReportURL string
	// Token is added to the report URL and checked by the handlers, so nobody else can
	// post reports; empty disables the check.
	Token string
	// DLRMask selects the reports Kannel sends (1 delivered, 2 failed, 4 buffered, 8 SMSC
	// accepted, 16 SMSC rejected); zero means 31, all of them. The SMS sweep treats a
	// claimed message with any report as submitted, so 8 lets it tell early.
	DLRMask int
	// Client makes the requests; nil means a client with a 10s timeout.
	Client *http.Client
}

// Kannel submits messages to a Kannel smsbox.
type Kannel struct {
	cfg KannelConfig
}

// NewKannel checks cfg and returns a Kannel sender.
func NewKannel(cfg KannelConfig) (*Kannel, error) {
	u, err := url.Parse(cfg.SendURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kannel: send URL %q is not an http(s) URL", cfg.SendURL)
	}
	if cfg.Username == "" {
		return nil, errors.New("kannel: the sendsms username is empty")
	}
	if cfg.ReportURL != "" {
		if r, err := url.Parse(cfg.ReportURL); err != nil || r.Host == "" {
			return nil, fmt.Errorf("kannel: report URL %q is not a URL", cfg.ReportURL)
		}
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Kannel{cfg: cfg}, nil
}

// Name is the provider name stored on each message.
func (k *Kannel) Name() string { return "kannel" }

// Error is a failed submission, by any provider. Permanent errors (the provider refused
// the message) must not be retried; InDoubt errors (the request went out but no answer
// came back) may have been accepted, so the message must not be submitted again until a
// report or a timeout says; others may be retried.
type Error struct {
	// Provider names the provider ("aliyun", "tencent"); empty means Kannel.
	Provider string
	// Status is the provider's HTTP status, zero when none came back.
	Status int
	// Code is the provider's error code (isv.MOBILE_NUMBER_ILLEGAL), if any.
	Code string
	// Body is the provider's answer text.
	Body string
	// Err is the transport error, if any.
	Err error
	// permanent and inDoubt classify the error.
	permanent bool
	inDoubt   bool
}

// Error says which provider refused or failed, with its status, code and answer.
func (e *Error) Error() string {
	op := "kannel sendsms"
	if e.Provider != "" {
		op = e.Provider + " sms"
	}
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", op, e.Err)
	case e.Code != "":
		return fmt.Sprintf("%s: %s: %s", op, e.Code, e.Body)
	case e.Status == 0:
		return fmt.Sprintf("%s: %s", op, e.Body)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", op, e.Status, e.Body)
}

// Unwrap returns the transport error.
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot help (the provider refused the message).
func (e *Error) Permanent() bool { return e.permanent }

// InDoubt reports whether the provider may have accepted the message.
func (e *Error) InDoubt() bool { return e.inDoubt }

// Submit sends one message's Body to its Phone with our message id in the dlr-url and
// returns the provider id (Kannel gives none, so it is our id). Chinese text goes as
// UCS-2 (coding 2); Kannel splits long texts into concatenated parts.
func (k *Kannel) Submit(ctx context.Context, m store.OutgoingSMS) (string, error) {
	id, phone, body := m.ID, m.Phone, m.Body
	v := url.Values{}
	v.Set("username", k.cfg.Username)
	v.Set("password", k.cfg.Password)
	v.Set("to", phone)
	v.Set("text", body)
	v.Set("charset", "UTF-8")
	if isASCII(body) {
		v.Set("coding", "0")
	} else {
		v.Set("coding", "2")
	}
	if k.cfg.From != "" {
		v.Set("from", k.cfg.From)
	}
	if k.cfg.SMSC != "" {
		v.Set("smsc", k.cfg.SMSC)
	}
	if k.cfg.ReportURL != "" {
		mask := k.cfg.DLRMask
		if mask <= 0 {
			mask = 31 // delivered, failed, buffered, SMSC accepted, SMSC rejected
		}
		v.Set("dlr-mask", strconv.Itoa(mask))
		v.Set("dlr-url", k.reportURL(id))
	}
	// smsbox reads the CGI variables from the query string (a POST body is the text).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.cfg.SendURL+"?"+v.Encode(), nil)
	if err != nil {
		return "", &Error{Err: err, permanent: true}
	}
	resp, err := k.cfg.Client.Do(req)
	if err != nil {
		// A refused connection or a failed DNS lookup sent nothing; anything else
		// (a timeout, a reset after the request) may have reached Kannel. The request's
		// query holds the sendsms password: the error (logged, stored on the message)
		// names the endpoint only.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = k.cfg.SendURL
		}
		return "", &Error{Err: err, inDoubt: !notSent(err)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	text := strings.TrimSpace(string(b))
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		// "0: Accepted for delivery" or "3: Queued for later delivery".
		return strconv.FormatInt(id, 10), nil
	case resp.StatusCode >= 500:
		return "", &Error{Status: resp.StatusCode, Body: text}
	default:
		return "", &Error{Status: resp.StatusCode, Body: text, permanent: true}
	}
}

// reportURL is the dlr-url of message id; Kannel replaces %d with the report type,
// %A with the SMSC's answer and %T with the report's Unix time.
func (k *Kannel) reportURL(id int64) string {
	sep := "?"
	if strings.Contains(k.cfg.ReportURL, "?") {
		sep = "&"
	}
	u := k.cfg.ReportURL + sep + "id=" + strconv.FormatInt(id, 10) + "&type=%d&answer=%A&ts=%T"
	if k.cfg.Token != "" {
		u += "&token=" + url.QueryEscape(k.cfg.Token)
	}
	return u
}

// notSent reports whether err happened before any byte of the request left.
func notSent(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host") ||
		strings.Contains(s, "network is unreachable")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
