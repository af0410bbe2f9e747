package notify

import (
	"context"
	"fmt"

	"github.com/huifang/huifang/store"
)

// The decisions a director can take on an uncertain message (状态不明): the provider may
// or may not have taken it, and nobody can ask it.
const (
	// UncertainSent: the customer has it (the director checked): it counts as sent.
	UncertainSent = "sent"
	// UncertainResend: send it again; the customer may get it twice.
	UncertainResend = "resend"
	// UncertainGiveUp: do not send it; it counts as failed.
	UncertainGiveUp = "failed"
)

// DecideUncertainSMS applies a director's decision to some of the dealer's uncertain
// messages, audited under userID, and returns how many it changed; messages that are no
// longer uncertain (a late delivery report settled them) are left as they are. A resent
// message is queued again and released by the next SMS sweep.
func DecideUncertainSMS(ctx context.Context, db store.DBTX, dealerID, userID int64, ids []int64, decision string) (int, error) {
	switch decision {
	case UncertainSent, UncertainResend, UncertainGiveUp:
	default:
		return 0, fmt.Errorf("uncertain sms: unknown decision %q (want %s, %s or %s)", decision, UncertainSent, UncertainResend, UncertainGiveUp)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var by *int64
	if userID > 0 {
		by = &userID
	}
	done, err := store.New(db).DecideUncertainSMS(ctx, store.DecideUncertainSMSParams{
		DealerID: dealerID, Ids: ids, Decision: decision, UserID: by,
	})
	if err != nil {
		return 0, fmt.Errorf("uncertain sms: %s: %w", decision, err)
	}
	return len(done), nil
}
