package telephony

import "context"

// CallLog stores the record of every call attempt the gateway makes.
type CallLog interface {
	// SaveCall writes (or updates, by Call-ID) the record of one attempt.
	SaveCall(ctx context.Context, r *CallResult) error
}
