package sms

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
	phonenum "github.com/huifang/huifang/store/phone"
)

// Report is one delivery report for one of our messages.
type Report struct {
	// MessageID is the sms_messages row.
	MessageID int64
	// Kind is 'delivered', 'failed', 'buffered', 'submitted' or 'rejected'.
	Kind string
	// Code is the provider's raw status.
	Code string
	// Detail is the provider's answer text.
	Detail string
	// At is when the provider made the report.
	At time.Time
}

// Reply is one incoming SMS.
type Reply struct {
	// From is the customer's number as the provider gives it.
	From string
	// To is the number the customer replied to.
	To string
	// Text is the reply.
	Text string
	// At is when it arrived.
	At time.Time
	// Provider names the gateway it came through.
	Provider string
}

// ReplyResult says what RecordReply did.
type ReplyResult struct {
	// Phone is the normalised number.
	Phone string
	// OptOut is true when the reply was an opt-out.
	OptOut bool
	// Dealers are the dealers the number was opted out at.
	Dealers []int64
	// Suppressed counts queued marketing messages suppressed by the opt-out.
	Suppressed int64
}

// Recorder writes reports and replies to Postgres.
type Recorder struct {
	// DB is the database.
	DB *pgxpool.Pool
	// Log receives a line per reply and per bad request.
	Log *slog.Logger
	// Batch, when set, writes delivery reports in groups while its Run runs;
	// nil writes each report on its own.
	Batch *ReportBatcher
}

// RecordReport stores a delivery report and moves the message's status. A report for an
// unknown message is an error naming it, wrapping ErrNoMessage.
func (r *Recorder) RecordReport(ctx context.Context, rep Report) error {
	if r.Batch != nil {
		return r.Batch.RecordReport(ctx, rep)
	}
	return recordReports(ctx, r.DB, []Report{rep})[0]
}

// RecordReply stores an incoming SMS against the latest message each dealer sent to the
// number. An opt-out opts the number out of marketing SMS at each of those dealers at
// once (sms_consent, source sms_reply, with the reply as detail) and suppresses their
// queued marketing messages; a number no dealer messaged is stored without a dealer.
func (r *Recorder) RecordReply(ctx context.Context, rep Reply) (*ReplyResult, error) {
	phone, perr := phonenum.Normalize(rep.From)
	if perr != nil {
		return nil, fmt.Errorf("sms reply: sender %q is not a phone number: %w", rep.From, perr)
	}
	res := &ReplyResult{Phone: phone, OptOut: IsOptOut(rep.Text)}
	err := store.WithTx(ctx, r.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		latest, err := q.LatestSMSPerDealerTo(ctx, phone)
		if err != nil {
			return fmt.Errorf("sms reply from %s: %w", phone, err)
		}
		if len(latest) == 0 {
			_, err := q.InsertSMSReply(ctx, store.InsertSMSReplyParams{
				Phone: phone, ToNumber: rep.To, Body: rep.Text, OptOut: res.OptOut, Provider: rep.Provider, ReceivedAt: rep.At,
			})
			return err
		}
		for _, m := range latest {
			dealer, msg := m.DealerID, m.ID
			if _, err := q.InsertSMSReply(ctx, store.InsertSMSReplyParams{
				DealerID: &dealer, Phone: phone, ToNumber: rep.To, Body: rep.Text, OptOut: res.OptOut,
				MessageID: &msg, Provider: rep.Provider, ReceivedAt: rep.At,
			}); err != nil {
				return fmt.Errorf("sms reply from %s: %w", phone, err)
			}
			if err := q.MarkSMSReplied(ctx, store.MarkSMSRepliedParams{At: rep.At, ID: msg}); err != nil {
				return fmt.Errorf("sms reply from %s: %w", phone, err)
			}
			if !res.OptOut {
				continue
			}
			if err := q.SetSMSConsent(ctx, store.SetSMSConsentParams{
				DealerID: dealer, Phone: phone, State: "opted_out", Source: "sms_reply", Detail: rep.Text, At: rep.At,
			}); err != nil {
				return fmt.Errorf("sms opt-out %s: %w", phone, err)
			}
			n, err := q.SuppressQueuedMarketingSMS(ctx, store.SuppressQueuedMarketingSMSParams{
				Reason: "opted out", DealerID: dealer, Phone: phone,
			})
			if err != nil {
				return fmt.Errorf("sms opt-out %s: %w", phone, err)
			}
			res.Suppressed += n
			res.Dealers = append(res.Dealers, dealer)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.Log != nil {
		r.Log.Info("sms reply", "phone", phone, "opt_out", res.OptOut, "dealers", res.Dealers, "suppressed", res.Suppressed)
	}
	return res, nil
}

// kannelReportKind maps Kannel's DLR type to our report kind.
func kannelReportKind(t int) (string, bool) {
	switch t {
	case 1:
		return "delivered", true
	case 2:
		return "failed", true
	case 4:
		return "buffered", true
	case 8:
		return "submitted", true
	case 16:
		return "rejected", true
	}
	return "", false
}

// KannelHandler serves Kannel's callbacks: GET <prefix>/dlr (the dlr-url Kannel.Submit
// sets) and GET <prefix>/mo (the get-url of a Kannel sms-service, see KannelMOURL).
type KannelHandler struct {
	// Recorder writes what arrives.
	Recorder *Recorder
	// Token must match the token parameter when set.
	Token string
	// Now is the clock for reports without a time; nil means time.Now.
	Now func() time.Time
}

// KannelMOURL is the get-url to configure in Kannel's sms-service for replies, given the
// base URL of the handler (for example http://127.0.0.1:8091/sms/kannel) and the token.
func KannelMOURL(base, token string) string {
	u := strings.TrimSuffix(base, "/") + "/mo?from=%p&to=%P&text=%a&ts=%T"
	if token != "" {
		u += "&token=" + token
	}
	return u
}

// ServeHTTP routes by the last path element, dlr or mo.
func (h *KannelHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Token != "" && subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(h.Token)) != 1 {
		http.Error(w, "bad token", http.StatusForbidden)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/dlr"):
		h.serveDLR(w, r)
	case strings.HasSuffix(r.URL.Path, "/mo"):
		h.serveMO(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *KannelHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// at reads Kannel's %T (Unix seconds), or now.
func (h *KannelHandler) at(v string) time.Time {
	if ts, err := strconv.ParseInt(v, 10, 64); err == nil && ts > 0 {
		return time.Unix(ts, 0)
	}
	return h.now()
}

func (h *KannelHandler) serveDLR(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, fmt.Sprintf("dlr: bad message id %q", q.Get("id")), http.StatusBadRequest)
		return
	}
	t, err := strconv.Atoi(q.Get("type"))
	kind, ok := kannelReportKind(t)
	if err != nil || !ok {
		http.Error(w, fmt.Sprintf("dlr: bad report type %q", q.Get("type")), http.StatusBadRequest)
		return
	}
	rep := Report{MessageID: id, Kind: kind, Code: q.Get("type"), Detail: q.Get("answer"), At: h.at(q.Get("ts"))}
	if err := h.Recorder.RecordReport(r.Context(), rep); err != nil {
		if h.Recorder.Log != nil {
			h.Recorder.Log.Error("sms dlr", "id", id, "err", err)
		}
		// A report for no message of ours: 404, sending it again cannot help. Anything
		// else could not be stored now (Postgres down): 503, Kannel tries again.
		code := http.StatusServiceUnavailable
		if errors.Is(err, ErrNoMessage) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *KannelHandler) serveMO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rep := Reply{From: q.Get("from"), To: q.Get("to"), Text: q.Get("text"), At: h.at(q.Get("ts")), Provider: "kannel"}
	if _, err := h.Recorder.RecordReply(r.Context(), rep); err != nil {
		if h.Recorder.Log != nil {
			h.Recorder.Log.Error("sms reply", "from", rep.From, "err", err)
		}
		code := http.StatusInternalServerError
		if errors.Is(err, context.Canceled) {
			code = http.StatusServiceUnavailable
		}
		if strings.Contains(err.Error(), "not a phone number") {
			code = http.StatusBadRequest
		}
		http.Error(w, err.Error(), code)
		return
	}
	// An empty body: with max-messages = 0 Kannel sends no reply to the customer.
	w.WriteHeader(http.StatusOK)
}
