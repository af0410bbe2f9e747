package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// Consent states of a phone for marketing SMS at a dealer.
const (
	// ConsentOptedIn: the customer agrees to receive marketing SMS.
	ConsentOptedIn = "opted_in"
	// ConsentOptedOut: the customer refuses them; queued ones are suppressed.
	ConsentOptedOut = "opted_out"
)

// ErrConsentInput marks a consent change refused for its input (phone, state, source,
// reason); the message names the problem.
var ErrConsentInput = errors.New("sms consent")

// consentSources are where a consent change may come from.
var consentSources = map[string]bool{"sms_reply": true, "agent": true, "message_call": true, "import": true, "director": true}

// ConsentParams is one consent change recorded by hand (a director, an agent, an import).
type ConsentParams struct {
	// DealerID is the dealer the consent is given to.
	DealerID int64
	// Phone is the customer's number (normalised: 13912345678 or a landline with 0).
	Phone string
	// State is ConsentOptedIn or ConsentOptedOut.
	State string
	// Source is agent, director, import, sms_reply or message_call.
	Source string
	// Detail says why or how (the customer's words, the call); required, 200 characters at most.
	Detail string
	// At is when the customer gave it; zero means now.
	At time.Time
	// UserID is who recorded it (audited); zero for none.
	UserID int64
}

// SetSMSConsent records a consent change with its time and source (sms_consent, and the
// proof in sms_consent_log); an opt-out also suppresses the number's queued marketing
// SMS at the dealer. Bad input is refused with an error naming it, and nothing is stored.
func SetSMSConsent(ctx context.Context, db *pgxpool.Pool, p ConsentParams) (suppressed int64, err error) {
	number, perr := phone.Normalize(p.Phone)
	p.Phone = number
	p.Detail = strings.TrimSpace(p.Detail)
	switch {
	case perr != nil:
		return 0, fmt.Errorf("%w: phone: %w", ErrConsentInput, perr)
	case p.State != ConsentOptedIn && p.State != ConsentOptedOut:
		return 0, fmt.Errorf("%w: state %q is not %s or %s", ErrConsentInput, p.State, ConsentOptedIn, ConsentOptedOut)
	case !consentSources[p.Source]:
		return 0, fmt.Errorf("%w: source %q is not agent, director, import, sms_reply or message_call", ErrConsentInput, p.Source)
	case p.Detail == "":
		return 0, fmt.Errorf("%w: say why (the customer's words or the call)", ErrConsentInput)
	case len([]rune(p.Detail)) > 200:
		return 0, fmt.Errorf("%w: the reason is %d characters, at most 200", ErrConsentInput, len([]rune(p.Detail)))
	}
	if p.At.IsZero() {
		p.At = time.Now()
	}
	err = store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.SetSMSConsent(ctx, store.SetSMSConsentParams{DealerID: p.DealerID, Phone: p.Phone, State: p.State,
			Source: p.Source, Detail: p.Detail, At: p.At}); err != nil {
			return err
		}
		if p.State == ConsentOptedOut {
			n, err := q.SuppressQueuedMarketingSMS(ctx, store.SuppressQueuedMarketingSMSParams{Reason: "opted out", DealerID: p.DealerID, Phone: p.Phone})
			if err != nil {
				return err
			}
			suppressed = n
		}
		detail, _ := json.Marshal(map[string]any{"phone": p.Phone, "state": p.State, "source": p.Source, "detail": p.Detail})
		var user *int64
		if p.UserID > 0 {
			user = &p.UserID
		}
		return q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &p.DealerID, UserID: user, Action: "sms_consent.set",
			SubjectType: "phone", Detail: detail})
	})
	if err != nil {
		return 0, fmt.Errorf("sms consent %s: %w", p.Phone, err)
	}
	return suppressed, nil
}

// SMSConsentHistory returns the number's consent changes at the dealer, newest first
// (at most 50); the first is the current state. None means the number never said.
func SMSConsentHistory(ctx context.Context, db store.DBTX, dealerID int64, number string) ([]store.ListSMSConsentLogRow, error) {
	if n, err := phone.Normalize(number); err == nil {
		number = n
	}
	rows, err := store.New(db).ListSMSConsentLog(ctx, store.ListSMSConsentLogParams{DealerID: dealerID, Phone: strings.TrimSpace(number)})
	if err != nil {
		return nil, fmt.Errorf("sms consent history %s: %w", number, err)
	}
	return rows, nil
}
