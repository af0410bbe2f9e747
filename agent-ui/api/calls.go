package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/media"
)

// CallRecord is one call detail record: a call placed through the gateway, with what the
// agent recorded about it. The API's GET /api/v1/calls and `huifang calls export` give
// the same records.
type CallRecord struct {
	// ID is the call (call_attempts row).
	ID int64 `json:"id"`
	// Time is when the call was placed (RFC 3339).
	Time string `json:"time"`
	// Agent and AgentName are the agent's login and name; empty for a message call.
	Agent     string `json:"agent"`
	AgentName string `json:"agent_name"`
	// Kind is agent, message or test.
	Kind string `json:"kind"`
	// Phone is the number called.
	Phone string `json:"phone"`
	// CustomerID and Customer name the customer called, 0 and empty when unknown.
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
	// Campaigns are the campaigns of the task the call was for.
	Campaigns []string `json:"campaigns"`
	// Outcome is the agent's outcome code (reached, appointment...), empty when none.
	Outcome string `json:"outcome"`
	// CallResult is what the network said: answered, busy, no_answer...
	CallResult string `json:"call_result"`
	// SIPStatus and SIPReason are the final SIP answer.
	SIPStatus int    `json:"sip_status"`
	SIPReason string `json:"sip_reason"`
	// RingSeconds is from ringing to answer (or to the end when unanswered); TalkSeconds
	// from answer to the end.
	RingSeconds float64 `json:"ring_seconds"`
	TalkSeconds float64 `json:"talk_seconds"`
	// Answers are the script's answers the agent recorded.
	Answers json.RawMessage `json:"answers"`
	// RecordingURL is a signed URL of the recording that expires; null without recording.
	RecordingURL *string `json:"recording_url"`
	// At is Time exactly, the position of the record for the next page.
	At time.Time `json:"-"`
}

// CallRecordsParams says which call records to read.
type CallRecordsParams struct {
	// DealerID is the dealer.
	DealerID int64
	// Since and Until bound the call time [Since, Until).
	Since, Until time.Time
	// AfterAt and AfterID are the position of the last record read (a cursor), zero to
	// start at Since.
	AfterAt time.Time
	AfterID int64
	// Limit is the most records returned.
	Limit int
}

// Signer makes recording URLs that work without an API key until they expire.
type Signer struct {
	// Base is the server's public URL.
	Base string
	// Secret is the signing key (api_secrets "recording_url").
	Secret []byte
	// TTL is how long a URL stays valid.
	TTL time.Duration
	// Now is the clock.
	Now func() time.Time
}

// NewSigner loads (or makes, on first use) the recording URL key from the database.
func NewSigner(ctx context.Context, db store.DBTX, base string, ttl time.Duration, now func() time.Time) (*Signer, error) {
	q := store.New(db)
	secret, err := q.GetAPISecret(ctx, "recording_url")
	if errors.Is(err, pgx.ErrNoRows) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("recording url key: %w", err)
		}
		if err := q.InsertAPISecret(ctx, store.InsertAPISecretParams{Name: "recording_url", Secret: b}); err != nil {
			return nil, fmt.Errorf("recording url key: %w", err)
		}
		secret, err = q.GetAPISecret(ctx, "recording_url")
	}
	if err != nil {
		return nil, fmt.Errorf("recording url key: %w", err)
	}
	return &Signer{Base: strings.TrimRight(base, "/"), Secret: secret, TTL: ttl, Now: now}, nil
}

func (s *Signer) mac(dealerID, callID, expires int64) string {
	m := hmac.New(sha256.New, s.Secret)
	fmt.Fprintf(m, "recording:%d:%d:%d", dealerID, callID, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// URL returns the signed URL of a call's recording.
func (s *Signer) URL(dealerID, callID int64) string {
	exp := s.Now().Add(s.TTL).Unix()
	return fmt.Sprintf("%s/api/v1/recordings/%d?dealer=%d&expires=%d&sig=%s", s.Base, callID, dealerID, exp, s.mac(dealerID, callID, exp))
}

// Check reports whether a recording URL's query is signed by us and not expired.
func (s *Signer) Check(callID int64, q url.Values) (dealerID int64, ok bool) {
	dealerID, err1 := strconv.ParseInt(q.Get("dealer"), 10, 64)
	exp, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err1 != nil || err2 != nil || s.Now().Unix() > exp {
		return 0, false
	}
	return dealerID, hmac.Equal([]byte(q.Get("sig")), []byte(s.mac(dealerID, callID, exp)))
}

// CallRecords reads call detail records in time order.
func CallRecords(ctx context.Context, db store.DBTX, sign *Signer, p CallRecordsParams) ([]CallRecord, error) {
	afterAt := p.AfterAt
	if afterAt.IsZero() {
		afterAt = time.Unix(0, 0)
	}
	rows, err := store.New(db).ListCallRecords(ctx, store.ListCallRecordsParams{DealerID: &p.DealerID, Since: p.Since, Until: p.Until,
		AfterAt: afterAt, AfterID: p.AfterID, MaxRows: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("call records: %w", err)
	}
	out := make([]CallRecord, 0, len(rows))
	for _, r := range rows {
		c := CallRecord{ID: r.ID, At: r.InviteAt, Time: r.InviteAt.Format(time.RFC3339Nano), Agent: r.Agent, AgentName: r.AgentName, Kind: r.Kind,
			Phone: r.ToNumber, CustomerID: r.CustomerID, Customer: r.Customer, Campaigns: r.Campaigns, Outcome: r.Outcome,
			CallResult: r.CallResult, SIPStatus: int(r.SipStatus), SIPReason: r.SipReason, Answers: r.Answers}
		if c.Campaigns == nil {
			c.Campaigns = []string{}
		}
		ringFrom := r.InviteAt
		if r.RingAt != nil {
			ringFrom = *r.RingAt
		}
		switch {
		case r.AnswerAt != nil:
			c.RingSeconds = secs(r.AnswerAt.Sub(ringFrom))
			if r.EndAt != nil {
				c.TalkSeconds = secs(r.EndAt.Sub(*r.AnswerAt))
			}
		case r.EndAt != nil && r.RingAt != nil:
			c.RingSeconds = secs(r.EndAt.Sub(ringFrom))
		}
		if r.RecordingPath != "" && sign != nil {
			u := sign.URL(p.DealerID, r.ID)
			c.RecordingURL = &u
		}
		out = append(out, c)
	}
	return out, nil
}

func secs(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d.Milliseconds()) / 1000
}

// callList is the answer of GET /api/v1/calls.
type callList struct {
	Calls      []CallRecord `json:"calls"`
	NextCursor *string      `json:"next_cursor"`
}

// getCalls lists call detail records from since: GET /api/v1/calls?since=RFC3339
// [&cursor=C], at most 500 a page; next_cursor is null on the last page.
func (s *Server) getCalls(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	q := r.URL.Query()
	v := q.Get("since")
	if v == "" {
		s.fail(w, r, invalid("since", "since is required (RFC 3339, such as 2026-11-22T00:00:00+08:00)"))
		return
	}
	since, err := parseInstant(v, c.Loc)
	if err != nil {
		s.fail(w, r, invalid("since", "since %q: %v", v, err))
		return
	}
	p := CallRecordsParams{DealerID: c.DealerID, Since: since, Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 501}
	if cur := q.Get("cursor"); cur != "" {
		if p.AfterAt, p.AfterID, err = decodeCursor(cur); err != nil {
			s.fail(w, r, invalid("cursor", "cursor %q is not one this API gave", cur))
			return
		}
	}
	sign, err := NewSigner(r.Context(), s.db, s.cfg.PublicURL, s.cfg.RecordingTTL, s.cfg.Now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recs, err := CallRecords(r.Context(), s.db, sign, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var next *string
	if len(recs) == p.Limit {
		recs = recs[:p.Limit-1]
		last := recs[len(recs)-1]
		cur := encodeCursor(last.At, last.ID)
		next = &cur
	}
	writeJSON(w, http.StatusOK, callList{Calls: recs, NextCursor: next})
}

// getRecording serves a call's recording to whoever has its signed, unexpired URL.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, errNotFound)
		return
	}
	sign, err := NewSigner(r.Context(), s.db, s.cfg.PublicURL, s.cfg.RecordingTTL, s.cfg.Now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	dealerID, ok := sign.Check(id, r.URL.Query())
	if !ok {
		s.fail(w, r, &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "the recording URL is not signed or has expired; get a new one from GET /api/v1/calls"})
		return
	}
	path, err := store.New(s.db).GetCallRecording(r.Context(), store.GetCallRecordingParams{ID: id, DealerID: &dealerID})
	if errors.Is(err, pgx.ErrNoRows) || err == nil && path == "" {
		s.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("recording %d: %w", id, err))
		return
	}
	f, err := media.OpenRecording(s.cfg.RecordingsDir, path)
	if errors.Is(err, fs.ErrNotExist) {
		s.fail(w, r, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "the recording file is gone (purged after the dealer's retention)"})
		return
	}
	if errors.Is(err, media.ErrOutsideRecordings) {
		// A path outside the recordings directory is never served, whatever the row says.
		s.log.WarnContext(r.Context(), "recording outside the recordings directory refused", "call", id, "path", path)
		s.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("recording %d: %w", id, err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		s.fail(w, r, errNotFound)
		return
	}
	// An hour's recording is 115 MB: its download may outlast the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
	w.Header().Set("Content-Type", "audio/wav")
	http.ServeContent(w, r, filepath.Base(path), st.ModTime(), f)
}
