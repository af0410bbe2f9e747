package telephony

import (
	"time"

	"github.com/huifang/huifang/telephony/media"
)

// Who hung up a call.
const (
	HangupCustomer = "customer"
	HangupAgent    = "agent"
	HangupSystem   = "system"
)

// CallResult is the record of one call attempt.
type CallResult struct {
	// CallID is the SIP Call-ID of the attempt.
	CallID string
	// Trunk is the trunk URI the call went through.
	Trunk string
	// From is our From URI (caller ID).
	From string
	// To is the number as sent to the trunk (after rewriting).
	To string
	// Outcome is what the queue's retry rules see.
	Outcome Outcome
	// SIPStatus and SIPReason are the final response to the INVITE (0 and the error text
	// when none came).
	SIPStatus int
	SIPReason string
	// InviteAt is when the INVITE was sent; RingAt the first 180/183; AnswerAt the 200;
	// EndAt the end of the call. Unset times are zero.
	InviteAt time.Time
	RingAt   time.Time
	AnswerAt time.Time
	EndAt    time.Time
	// BridgedAt is when an agent call was connected to the agent's leg (zero otherwise).
	BridgedAt time.Time
	// CustomerRTP and AgentRTP count the RTP packets received from each side during the
	// call, and the packets missing from their sequence numbers.
	CustomerRTP media.Stats
	AgentRTP    media.Stats
	// CustomerQuality and AgentQuality rate each side's audio as the gateway received it
	// (loss, jitter, RTCP round trip, E-model MOS); nil for a side that sent none.
	CustomerQuality *media.Quality
	AgentQuality    *media.Quality
	// HangupBy is HangupCustomer, HangupAgent, HangupSystem, or "" when never answered.
	HangupBy string
	// Recording is the WAV file's path, when the call was recorded.
	Recording string
	// DTMF holds the digits the customer pressed (message calls).
	DTMF string
	// Kind is "agent", "message" or "test".
	Kind string
	// Meta links the attempt to the queue.
	Meta CallMeta
	// Gateway is the id of the gateway that placed the call (Config.ID): the call
	// belongs to it, and ends with it.
	Gateway string
}

// RingDuration is how long the call rang: from the first ring to the answer or the end.
func (r *CallResult) RingDuration() time.Duration {
	if r.RingAt.IsZero() {
		return 0
	}
	end := r.AnswerAt
	if end.IsZero() {
		end = r.EndAt
	}
	if end.Before(r.RingAt) {
		return 0
	}
	return end.Sub(r.RingAt)
}

// TalkDuration is how long the call was up: from the answer to the end.
func (r *CallResult) TalkDuration() time.Duration {
	if r.AnswerAt.IsZero() || r.EndAt.Before(r.AnswerAt) {
		return 0
	}
	return r.EndAt.Sub(r.AnswerAt)
}

// CallMeta links a call attempt to the dealer, task, customer and agent it is for. Zero
// values mean none.
type CallMeta struct {
	// DealerID is the dealer the call is made for.
	DealerID int64
	// TaskID is the queue task (call_tasks) the attempt belongs to.
	TaskID int64
	// CustomerID is the customer called.
	CustomerID int64
	// AgentUserID is the agent the customer is bridged to.
	AgentUserID int64
}
