package sms

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// The cloud providers (Aliyun, Tencent) send only templates approved at the provider, with
// parameters and a registered signature; what is shared by their senders and callbacks
// is here.

// chinaTime is the zone of the times in the providers' callbacks (Beijing time, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

// checkTemplate refuses, for good, a message the cloud provider cannot send: its
// template has no code at the provider, or the dealer has no signature.
func checkTemplate(provider string, m store.OutgoingSMS) error {
	if m.ProviderTemplate == "" {
		return &Error{Provider: provider, permanent: true, Body: fmt.Sprintf(
			"template %q has no %s template code (set it on the director's SMS template page)", m.Template, provider)}
	}
	if m.Sign == "" {
		return &Error{Provider: provider, permanent: true, Body: "the dealer has no SMS signature"}
	}
	return nil
}

// templateParams returns the message's variables the template uses, by name; all of
// them when the template's variables are not known.
func templateParams(m store.OutgoingSMS) map[string]string {
	if m.VarNames == nil {
		return m.Vars
	}
	out := make(map[string]string, len(m.VarNames))
	for _, n := range m.VarNames {
		out[n] = m.Vars[n]
	}
	return out
}

// transportError classifies an error that came back instead of an answer: nothing was
// sent (a refused connection: retry), or the request may have arrived (in doubt).
func transportError(provider string, err error) *Error {
	return &Error{Provider: provider, Err: err, inDoubt: !notSent(err)}
}

// cloudCallback is what the Aliyun and Tencent callback handlers share.
type cloudCallback struct {
	// provider is the name stored on messages ("aliyun", "tencent").
	provider string
	rec      *Recorder
	token    string
	now      func() time.Time
}

// authorized checks the token query parameter when one is configured.
func (c *cloudCallback) authorized(w http.ResponseWriter, r *http.Request) bool {
	if c.token != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(c.token)) != 1 {
		http.Error(w, "bad token", http.StatusForbidden)
		return false
	}
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return false
	}
	return true
}

// decodeList reads a JSON array of items, or a single object as a list of one, into out
// (a pointer to a slice); what fails names the problem.
func decodeList[T any](r *http.Request, what string) ([]T, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the body: %w", what, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: empty body, want a JSON array", what)
	}
	var out []T
	if b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, fmt.Errorf("%s: bad JSON: %v", what, err)
		}
		return []T{one}, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: bad JSON, want an array of objects: %v", what, err)
	}
	return out, nil
}

// findMessage returns our message the provider reports on: the one it knows by
// providerID, else ourID (Aliyun's OutId, Tencent's SessionContext carry our id) when
// that message exists; zero when neither names one of ours.
func (c *cloudCallback) findMessage(ctx context.Context, providerID, ourID string) (int64, error) {
	q := store.New(c.rec.DB)
	if providerID != "" {
		id, err := q.FindSMSByProviderID(ctx, store.FindSMSByProviderIDParams{Provider: c.provider, ProviderID: providerID})
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("%s report %s: %w", c.provider, providerID, err)
		}
	}
	id, err := strconv.ParseInt(strings.TrimSpace(ourID), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil
	}
	found, err := q.SMSMessageExists(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("%s report %s: %w", c.provider, providerID, err)
	}
	if !found {
		return 0, nil
	}
	return id, nil
}

// report records one delivery report; a report for none of our messages is logged and
// dropped (the provider would only send it again).
func (c *cloudCallback) report(ctx context.Context, providerID, ourID string, rep Report) error {
	id, err := c.findMessage(ctx, providerID, ourID)
	if err != nil {
		return err
	}
	if id == 0 {
		if c.rec.Log != nil {
			c.rec.Log.Warn("sms report for no message of ours", "provider", c.provider, "provider_id", providerID, "out_id", ourID)
		}
		return nil
	}
	rep.MessageID = id
	return c.rec.RecordReport(ctx, rep)
}

// reply records one incoming SMS.
func (c *cloudCallback) reply(ctx context.Context, rep Reply) error {
	rep.Provider = c.provider
	_, err := c.rec.RecordReply(ctx, rep)
	return err
}

// fail answers an error while recording: 400 for a bad sender number, else 503 (it could
// not be stored now) so the provider sends the callback again.
func (c *cloudCallback) fail(w http.ResponseWriter, what string, err error) {
	if c.rec.Log != nil {
		c.rec.Log.Error("sms callback", "provider", c.provider, "what", what, "err", err)
	}
	code := http.StatusServiceUnavailable
	if strings.Contains(err.Error(), "not a phone number") {
		code = http.StatusBadRequest
	}
	http.Error(w, err.Error(), code)
}

func (c *cloudCallback) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// parseChinaTime reads "2006-01-02 15:04:05" in Beijing time; empty or unreadable gives now.
func (c *cloudCallback) parseChinaTime(s string) time.Time {
	if t, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(s), chinaTime); err == nil {
		return t
	}
	return c.clock()
}

// writeJSON answers the provider with its expected acknowledgement.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
