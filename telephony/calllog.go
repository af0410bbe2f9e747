package telephony

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

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
	p := store.SaveCallAttemptParams{
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
		GatewayID:     r.Gateway,
	}
	if q := r.CustomerQuality; q != nil {
		p.CustomerPackets, p.CustomerLost = optCount(q.Packets), optCount(q.Lost)
		p.CustomerJitterMs, p.CustomerRttMs, p.CustomerMos = ms(q.Jitter, true), ms(q.RTT, false), real4(q.MOS)
	}
	if q := r.AgentQuality; q != nil {
		p.AgentPackets, p.AgentLost = optCount(q.Packets), optCount(q.Lost)
		p.AgentJitterMs, p.AgentRttMs, p.AgentMos = ms(q.Jitter, true), ms(q.RTT, false), real4(q.MOS)
	}
	_, err := s.q.SaveCallAttempt(ctx, p)
	if err != nil {
		return fmt.Errorf("save call %s: %w", r.CallID, err)
	}
	return nil
}

func optCount(n uint64) *int64 {
	v := int64(min(n, 1<<62))
	return &v
}

// ms is d in milliseconds; a zero d is NULL unless zeroKnown.
func ms(d time.Duration, zeroKnown bool) pgtype.Float4 {
	if d == 0 && !zeroKnown {
		return pgtype.Float4{}
	}
	return real4(float64(d) / float64(time.Millisecond))
}

func real4(f float64) pgtype.Float4 { return pgtype.Float4{Float32: float32(f), Valid: true} }

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
