package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/phone"
)

// The input rules of notify live here, once, for every caller: the CLI, the director's
// pages and the JSON API call the same functions, which answer bad input with a
// *FieldError naming the field, so callers do not check the input again.

// FieldError is bad input naming the field at fault; it is queue's FieldError, one type
// for every write function of both packages.
type FieldError = queue.FieldError

// fieldErr returns a *FieldError for field with a formatted message.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// broadcastCodeRe is what a broadcast code may be.
var broadcastCodeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_:.\-]{0,63}$`)

// templateCodeRe is what a template code may be.
var templateCodeRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// ValidateBroadcastCode checks a broadcast code: 1-64 letters, digits and _ : . -,
// starting with a letter or a digit (birthday:2026-11-23, offer-1123).
func ValidateBroadcastCode(code string) error {
	if !broadcastCodeRe.MatchString(code) {
		return fieldErr("code", "broadcast code %q must be 1-64 of letters, digits and _ : . - (starting with a letter or digit)", code)
	}
	return nil
}

// Channels of a broadcast (broadcasts.channel).
const (
	// ChannelSMS is an SMS broadcast.
	ChannelSMS = "sms"
	// ChannelMessageCall is a recorded-message broadcast.
	ChannelMessageCall = "message_call"
)

// CheckBroadcastCode checks code for a broadcast on channel at the dealer: well formed and
// not used by a broadcast of the other channel. It returns the broadcast of that code
// when one exists (a start of it again adds only who is new), nil when the code is new.
func CheckBroadcastCode(ctx context.Context, db store.DBTX, dealerID int64, code, channel string) (*store.Broadcast, error) {
	if err := ValidateBroadcastCode(code); err != nil {
		return nil, err
	}
	c, err := store.New(db).GetBroadcastByCode(ctx, store.GetBroadcastByCodeParams{DealerID: dealerID, Code: code})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("broadcast %s: %w", code, err)
	}
	if c.Channel != channel {
		other := "an SMS broadcast"
		if c.Channel == ChannelMessageCall {
			other = "a message-call broadcast"
		}
		return nil, fieldErr("code", "broadcast code %q is already used by %s; choose another code", code, other)
	}
	return &c, nil
}

// Audience kinds of an AudienceInput.
const (
	// AudienceReasons: the customers with a queue reason of the chosen campaigns due on the day.
	AudienceReasons = "reasons"
	// AudienceBirthdays: the customers whose birthday is the day.
	AudienceBirthdays = "birthdays"
	// AudienceCustomers: pasted customer ids and phones.
	AudienceCustomers = "customers"
)

// AudienceInput is an audience as a person gives it: the director's form, the CLI's flags.
type AudienceInput struct {
	// Kind is AudienceReasons, AudienceBirthdays or AudienceCustomers.
	Kind string
	// Reasons are campaign codes, for AudienceReasons.
	Reasons []string
	// Customers are customer ids and phones, one or more a line, separated by commas,
	// spaces or 、; a token of up to 6 digits is an id, anything else a phone.
	Customers string
}

// Audience is an AudienceInput resolved against the dealer's customers on a day.
type Audience struct {
	// SMS is the audience as StartSMSBroadcast takes it.
	SMS SMSAudience
	// CustomerIDs are the customers it holds, each once, as the broadcast takes them.
	CustomerIDs []int64
	// Unknown are pasted ids and phones that are not the dealer's customers.
	Unknown []string
}

// maxPasted bounds how many ids and phones one paste may hold.
const maxPasted = 20000

// ResolveAudience checks in and lists the customers it holds at the dealer on day,
// through the same statements StartSMSBroadcast sends to, so a preview counts exactly
// whom the start reaches. An audience that holds nobody is a *FieldError.
func ResolveAudience(ctx context.Context, db store.DBTX, dealerID int64, day time.Time, in AudienceInput) (*Audience, error) {
	q := store.New(db)
	a := &Audience{}
	switch in.Kind {
	case AudienceReasons:
		if len(in.Reasons) == 0 {
			return nil, fieldErr("reasons", "choose at least one campaign whose customers due that day get it")
		}
		for _, c := range in.Reasons {
			if !queue.IsCampaign(c) {
				return nil, fieldErr("reasons", "unknown campaign %q (known: %s)", c, strings.Join(queue.Campaigns(), ", "))
			}
		}
		a.SMS.Reasons = in.Reasons
	case AudienceBirthdays:
		a.SMS.Birthdays = true
	case AudienceCustomers:
		ids, phones, err := ParseCustomerList(in.Customers)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 && len(phones) == 0 {
			return nil, fieldErr("customers", "paste at least one customer id or phone")
		}
		if a.SMS.CustomerIDs, a.Unknown, err = customersOf(ctx, q, dealerID, ids, phones); err != nil {
			return nil, err
		}
		if len(a.SMS.CustomerIDs) == 0 {
			return nil, fieldErr("customers", "none of the pasted ids or phones is a customer of this dealer: %s", strings.Join(a.Unknown, ", "))
		}
	default:
		return nil, fieldErr("audience", "choose an audience: reasons, birthdays or customers")
	}
	recips, err := audience(ctx, q, SMSBroadcastParams{DealerID: dealerID, Day: day, Audience: a.SMS})
	if err != nil {
		return nil, fmt.Errorf("broadcast audience: %w", err)
	}
	for _, r := range recips {
		a.CustomerIDs = append(a.CustomerIDs, r.customerID)
	}
	if len(a.CustomerIDs) == 0 {
		switch in.Kind {
		case AudienceReasons:
			return nil, fieldErr("reasons", "no customer has a reason of %s due that day", strings.Join(in.Reasons, ", "))
		case AudienceBirthdays:
			return nil, fieldErr("audience", "no customer has a birthday that day")
		}
	}
	return a, nil
}

// customersOf keeps the ids and phones that are the dealer's customers, each once, in
// the order given; the others are unknown.
func customersOf(ctx context.Context, q *store.Queries, dealerID int64, ids []int64, phones []string) (found []int64, unknown []string, err error) {
	seen := map[int64]bool{}
	if len(ids) > 0 {
		rows, err := q.CustomersByIDs(ctx, store.CustomersByIDsParams{DealerID: dealerID, Ids: ids})
		if err != nil {
			return nil, nil, fmt.Errorf("broadcast audience: %w", err)
		}
		ok := map[int64]bool{}
		for _, id := range rows {
			ok[id] = true
		}
		for _, id := range ids {
			if !ok[id] {
				unknown = append(unknown, strconv.FormatInt(id, 10))
			} else if !seen[id] {
				seen[id] = true
				found = append(found, id)
			}
		}
	}
	if len(phones) > 0 {
		rows, err := q.CustomersByPhones(ctx, store.CustomersByPhonesParams{DealerID: dealerID, Phones: phones})
		if err != nil {
			return nil, nil, fmt.Errorf("broadcast audience: %w", err)
		}
		byPhone := map[string]int64{}
		for _, c := range rows {
			byPhone[c.Phone] = c.ID
		}
		for _, p := range phones {
			id, ok := byPhone[p]
			if !ok {
				unknown = append(unknown, p)
			} else if !seen[id] {
				seen[id] = true
				found = append(found, id)
			}
		}
	}
	return found, unknown, nil
}

// ParseCustomerList reads pasted customer ids and phones: a token of up to 6 digits is a
// customer id, anything else a phone (normalised by store/phone, as the importer does).
// Bad tokens are a *FieldError on "customers" naming the first few.
func ParseCustomerList(s string) (ids []int64, phones []string, err error) {
	var bad []string
	n := 0
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("\n\r,，;；、", r) }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// A phone written with spaces ("139 0000 0001") is one phone.
		if p, perr := phone.Normalize(line); perr == nil && len(p) >= 7 {
			phones = append(phones, p)
			n++
			continue
		}
		for _, tok := range strings.Fields(line) {
			n++
			if len(tok) <= 6 && isDigits(tok) {
				id, _ := strconv.ParseInt(tok, 10, 64)
				if id <= 0 {
					bad = append(bad, tok)
					continue
				}
				ids = append(ids, id)
				continue
			}
			p, perr := phone.Normalize(tok)
			if perr != nil {
				bad = append(bad, fmt.Sprintf("%s (%v)", tok, perr))
				continue
			}
			phones = append(phones, p)
		}
	}
	if n > maxPasted {
		return nil, nil, fieldErr("customers", "paste at most %d customers, got %d", maxPasted, n)
	}
	if len(bad) > 0 {
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return nil, nil, fieldErr("customers", "not a customer id or a phone: %s", strings.Join(bad, "; "))
	}
	return ids, phones, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// ValidateSignature checks a dealer's SMS signature and returns it without 【】 and
// surrounding spaces: 1 to 20 characters.
func ValidateSignature(sig string) (string, error) {
	sig = strings.TrimSpace(strings.Trim(strings.TrimSpace(sig), "【】"))
	if sig == "" || len([]rune(sig)) > 20 {
		return "", fieldErr("signature", "sms signature: give 1 to 20 characters (without 【】)")
	}
	return sig, nil
}

// txStarter is a pool or a transaction: what pgx.BeginFunc takes (a transaction
// starts a savepoint), so the rule functions write all or nothing either way.
type txStarter interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// SaveSMSSignature sets the dealer's SMS signature, checked by ValidateSignature, and
// audits it (sms_signature.save, by userID; zero is the operator at the command line), in
// one transaction. It returns the signature as stored.
func SaveSMSSignature(ctx context.Context, db txStarter, dealerID int64, signature string, userID int64) (string, error) {
	sig, err := ValidateSignature(signature)
	if err != nil {
		return "", err
	}
	detail, _ := json.Marshal(map[string]string{"signature": sig})
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.SetDealerSMSSignature(ctx, store.SetDealerSMSSignatureParams{Signature: sig, ID: dealerID}); err != nil {
			return fmt.Errorf("sms signature: %w", err)
		}
		return audit(ctx, q, dealerID, userID, "sms_signature.save", "dealer", &dealerID, detail)
	})
	return sig, err
}

// audit writes an audit_log row; userID zero writes none as the user (the CLI).
func audit(ctx context.Context, q *store.Queries, dealerID, userID int64, action, subjectType string, subjectID *int64, detail []byte) error {
	var by *int64
	if userID > 0 {
		by = &userID
	}
	if err := q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &dealerID, UserID: by, Action: action,
		SubjectType: subjectType, SubjectID: subjectID, Detail: detail}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
