package telephony

import (
	"context"
	"fmt"
	"time"

	"github.com/huifang/huifang/store"
)

// CallLog stores the record of every call attempt the gateway makes.
type CallLog interface {
	// SaveCall writes (or updates, by Call-ID) the record of one attempt.
	SaveCall(ctx context.Context, r *CallResult) error
}

// StoreCallLog writes call records to the call_attempts table.
type StoreCallLog struct {
	q *store.Queries
}

// NewStoreCallLog returns a CallLog on db (a pool or a transaction).
func NewStoreCallLog(db store.DBTX) *StoreCallLog { return &StoreCallLog{q: store.New(db)} }

// SaveCall writes r as one row of call_attempts, keyed by its Call-ID.
func (s *StoreCallLog) SaveCall(ctx context.Context, r *CallResult) error {
	_, err := s.q.SaveCallAttempt(ctx, store.SaveCallAttemptParams{
		DealerID:      optID(r.Meta.DealerID),
		TaskID:        optID(r.Meta.TaskID),
		CustomerID:    optID(r.Meta.CustomerID),
		AgentUserID:   optID(r.Meta.AgentUserID),
		Kind:          r.Kind,
		CallID:        r.CallID,
		Trunk:         r.Trunk,
		FromUri:       r.From,
		ToNumber:      r.To,
		InviteAt:      r.InviteAt,
		RingAt:        optTime(r.RingAt),
		AnswerAt:      optTime(r.AnswerAt),
		EndAt:         optTime(r.EndAt),
		SipStatus:     int32(r.SIPStatus),
		SipReason:     r.SIPReason,
		HangupBy:      r.HangupBy,
		Outcome:       string(r.Outcome),
		Dtmf:          r.DTMF,
		RecordingPath: r.Recording,
	})
	if err != nil {
		return fmt.Errorf("save call %s: %w", r.CallID, err)
	}
	return nil
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
