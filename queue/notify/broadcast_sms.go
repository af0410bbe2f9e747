package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// SMSAudience says who an SMS broadcast goes to; exactly one field is set.
type SMSAudience struct {
	// Birthdays: the dealer's customers whose birthday is the broadcast's day.
	Birthdays bool
	// Reasons: the customers the queue gave a reason of these campaigns (such as
	// "maintenance", "insurance") due on the broadcast's day.
	Reasons []string
	// CustomerIDs: these customers of the dealer.
	CustomerIDs []int64
	// Unknown are pasted ids and phones that matched no customer (ResolveAudience); they
	// are only recorded in the audit.
	Unknown []string
}

// SMSBroadcastParams starts an SMS broadcast.
type SMSBroadcastParams struct {
	// DealerID is the sending dealer.
	DealerID int64
	// Code identifies the run ("birthday:2026-11-23"); starting the same code twice
	// queues nobody twice.
	Code string
	// Template is the template code (the dealer's, or a default).
	Template string
	// Audience is who gets it.
	Audience SMSAudience
	// Day is the dealer's calendar day the audience is taken on.
	Day time.Time
	// SendAt holds the messages until then (birthday SMS at 09:00); zero sends now.
	SendAt time.Time
	// Now is the clock; zero means time.Now().
	Now time.Time
	// CreatedBy is the user who started it, recorded in the audit (sms_broadcast.start) in
	// the same transaction; zero for the scheduler's daily broadcasts and the CLI.
	CreatedBy int64
}

// SMSBroadcastResult counts what StartSMSBroadcast did.
type SMSBroadcastResult struct {
	// BroadcastID is the broadcasts row.
	BroadcastID int64
	// Queued messages go out now (their sms:send outbox rows are written).
	Queued int
	// Held messages wait for SendAt or for the end of the quiet hours.
	Held int
	// Suppressed messages are recorded but not sent: do-not-call, opted out or invalid number.
	Suppressed int
	// Existing recipients had this broadcast's message already.
	Existing int
	// Skipped recipients could not be rendered (a variable without a value); Errors says why.
	Skipped int
	// Errors are the first few rendering errors.
	Errors []string
}

// recipient is one person a broadcast's message goes to.
type recipient struct {
	customerID int64
	phone      string
	valid      bool
	vars       map[string]string
}

// StartSMSBroadcast queues one message per recipient, in one transaction: each message is
// rendered from the template with the recipient's variables and the dealer's signature,
// keyed "campaign:<code>:<customer>" (so a second start adds nothing; the prefix is the one
// stored before broadcasts had their name, kept so that keys already written still match), and written as
// suppressed (do-not-call, invalid number, or opted out of marketing), held (until
// SendAt, or for marketing until the end of the dealer's quiet hours, 21:00-08:00 or
// the wider QuietHours it set, when it would go inside them; the SMS sweep releases it),
// or queued; queued messages get one sms:batch outbox row per
// SMSBatchSize messages.
func StartSMSBroadcast(ctx context.Context, db *pgxpool.Pool, p SMSBroadcastParams) (*SMSBroadcastResult, error) {
	n := 0
	if p.Audience.Birthdays {
		n++
	}
	if len(p.Audience.Reasons) > 0 {
		n++
	}
	if len(p.Audience.CustomerIDs) > 0 {
		n++
	}
	if n != 1 {
		return nil, fieldErr("audience", "sms broadcast %s: give exactly one audience (birthdays, reasons or customers)", p.Code)
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	res := &SMSBroadcastResult{}
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := store.New(tx)
		dealer, err := q.GetDealerSMS(ctx, p.DealerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("sms broadcast %s: no dealer %d", p.Code, p.DealerID)
		}
		if err != nil {
			return fmt.Errorf("sms broadcast %s: %w", p.Code, err)
		}
		loc, err := time.LoadLocation(dealer.TimeZone)
		if err != nil {
			return fmt.Errorf("sms broadcast %s: dealer time zone %q: %w", p.Code, dealer.TimeZone, err)
		}
		tmpl, err := CheckSMSBroadcast(ctx, tx, p)
		if err != nil {
			return err
		}
		var by *int64
		if p.CreatedBy > 0 {
			by = &p.CreatedBy
		}
		bc, err := q.EnsureBroadcast(ctx, store.EnsureBroadcastParams{
			DealerID: p.DealerID, Code: p.Code, Channel: "sms", Template: tmpl.Code, CreatedBy: by,
		})
		if err != nil {
			return fmt.Errorf("sms broadcast %s: %w", p.Code, err)
		}
		res.BroadcastID = bc.ID
		recips, err := audience(ctx, q, p)
		if err != nil {
			return fmt.Errorf("sms broadcast %s: %w", p.Code, err)
		}
		var hold *time.Time
		if p.SendAt.After(p.Now) {
			hold = &p.SendAt
		}
		if tmpl.Kind == "marketing" {
			at := p.Now
			if hold != nil {
				at = *hold
			}
			if quiet := StoredQuietHours(dealer.QuietStart, dealer.QuietEnd); quiet.ContainsTime(at, loc) {
				end := quiet.NextEnd(at, loc)
				hold = &end
			}
		}
		// Messages that go now are sent in batches of SMSBatchSize, one outbox row each.
		var batch []int64
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := q.InsertOutboxSMSBatch(ctx, store.InsertOutboxSMSBatchParams{DealerID: &p.DealerID, MessageIds: batch}); err != nil {
				return fmt.Errorf("sms broadcast %s: outbox: %w", p.Code, err)
			}
			batch = nil
			return nil
		}
		for _, r := range recips {
			r.vars["dealer"] = dealer.Name
			r.vars["date"] = p.Day.Format("2006年1月2日")
			body, err := RenderSMS(tmpl.Body, tmpl.Kind, dealer.Signature, r.vars)
			if err != nil {
				res.Skipped++
				if len(res.Errors) < 5 {
					res.Errors = append(res.Errors, fmt.Sprintf("customer %d: %v", r.customerID, err))
				}
				continue
			}
			_, parts := SMSSegments(body)
			status, reason, err := smsGate(ctx, q, p.DealerID, r, tmpl.Kind)
			if err != nil {
				return fmt.Errorf("sms broadcast %s: %w", p.Code, err)
			}
			params := store.InsertBroadcastSMSParams{
				DealerID: p.DealerID, CustomerID: &r.customerID, Phone: r.phone, Kind: tmpl.Kind, Template: tmpl.Code,
				Body: body, Status: status, IdempotencyKey: fmt.Sprintf("campaign:%s:%d", p.Code, r.customerID),
				BroadcastID: &bc.ID, Parts: int32(parts), Vars: encodeSMSVars(r.vars),
			}
			released := p.Now
			if status == "queued" && hold != nil {
				params.NotBefore = hold
			} else {
				params.ReleasedAt = &released
			}
			id, err := q.InsertBroadcastSMS(ctx, params)
			if errors.Is(err, pgx.ErrNoRows) {
				res.Existing++
				continue
			}
			if err != nil {
				return fmt.Errorf("sms broadcast %s: customer %d: %w", p.Code, r.customerID, err)
			}
			switch {
			case status == "suppressed":
				res.Suppressed++
				if err := q.SuppressSMS(ctx, store.SuppressSMSParams{Reason: reason, ID: id}); err != nil {
					return err
				}
			case hold != nil:
				res.Held++
			default:
				res.Queued++
				batch = append(batch, id)
				if len(batch) == SMSBatchSize {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if p.CreatedBy == 0 {
			return nil // the daily broadcasts, the scheduler's
		}
		var sendAt string
		if !p.SendAt.IsZero() {
			sendAt = p.SendAt.In(loc).Format("2006-01-02T15:04")
		}
		detail, _ := json.Marshal(map[string]any{"code": p.Code, "template": tmpl.Code, "audience": p.Audience.kind(),
			"reasons": p.Audience.Reasons, "customers": len(recips), "unknown": p.Audience.Unknown, "send_at": sendAt,
			"queued": res.Queued, "held": res.Held, "suppressed": res.Suppressed, "existing": res.Existing, "skipped": res.Skipped})
		return audit(ctx, q, p.DealerID, p.CreatedBy, "sms_broadcast.start", "broadcast", &bc.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CheckSMSBroadcast checks p as StartSMSBroadcast does before it stores anything (the
// code, not used by a message-call broadcast; the template, known and the same as when
// the code was started before) and returns the template; the director's preview calls it
// with the same parameters as the start. Faults are *FieldError.
func CheckSMSBroadcast(ctx context.Context, db store.DBTX, p SMSBroadcastParams) (SMSTemplate, error) {
	if err := ValidateBroadcastCode(p.Code); err != nil {
		return SMSTemplate{}, err
	}
	if p.Template == "" {
		return SMSTemplate{}, fieldErr("template", "sms broadcast %s: choose a template", p.Code)
	}
	existing, err := CheckBroadcastCode(ctx, db, p.DealerID, p.Code, ChannelSMS)
	if err != nil {
		return SMSTemplate{}, err
	}
	tmpl, err := LoadSMSTemplate(ctx, db, p.DealerID, p.Template)
	if err != nil {
		return SMSTemplate{}, fieldErr("template", "template %q: %v", p.Template, err)
	}
	if existing != nil && existing.Template != tmpl.Code {
		return SMSTemplate{}, fieldErr("template", "broadcast %q was started with template %s; start it again with that template or choose another code", p.Code, existing.Template)
	}
	return tmpl, nil
}

// kind names the audience as AudienceInput does.
func (a SMSAudience) kind() string {
	switch {
	case a.Birthdays:
		return AudienceBirthdays
	case len(a.Reasons) > 0:
		return AudienceReasons
	}
	return AudienceCustomers
}

// smsGate decides whether a new message to r is queued or suppressed, and why.
func smsGate(ctx context.Context, q *store.Queries, dealerID int64, r recipient, kind string) (status, reason string, err error) {
	if !r.valid {
		return "suppressed", "invalid number", nil
	}
	dnc, err := q.PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: dealerID, Phone: r.phone})
	if err != nil {
		return "", "", err
	}
	if dnc {
		return "suppressed", "do not call", nil
	}
	if kind == "marketing" {
		c, err := q.GetSMSConsent(ctx, store.GetSMSConsentParams{DealerID: dealerID, Phone: r.phone})
		if err == nil && c.State == "opted_out" {
			return "suppressed", "opted out", nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return "", "", err
		}
	}
	return "queued", "", nil
}

// customerVars are the variables every recipient has.
func customerVars(name, title, plate, model string) map[string]string {
	who := "尊敬的客户"
	if name != "" {
		who = name + title
	}
	return map[string]string{"customer": who, "name": name, "title": title, "plate": plate, "model": model}
}

// audience lists the broadcast's recipients.
func audience(ctx context.Context, q *store.Queries, p SMSBroadcastParams) ([]recipient, error) {
	var out []recipient
	switch {
	case p.Audience.Birthdays:
		rows, err := q.AudienceBirthdays(ctx, store.AudienceBirthdaysParams{DealerID: p.DealerID, Day: p.Day})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, recipient{customerID: r.ID, phone: r.Phone, valid: r.PhoneValid, vars: customerVars(r.Name, r.Title, "", "")})
		}
	case len(p.Audience.Reasons) > 0:
		seen := map[int64]bool{}
		for _, c := range p.Audience.Reasons {
			rows, err := q.AudienceReasons(ctx, store.AudienceReasonsParams{DealerID: p.DealerID, Campaign: c, Day: p.Day})
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
				var f struct {
					Plate  string `json:"plate"`
					Model  string `json:"model"`
					DueDay string `json:"due_day"`
					EndDay string `json:"end_day"`
				}
				_ = json.Unmarshal(r.Facts, &f)
				v := customerVars(r.Name, r.Title, firstNonEmpty(f.Plate, r.Plate), firstNonEmpty(f.Model, r.Model))
				if d, err := time.Parse(time.DateOnly, firstNonEmpty(f.DueDay, f.EndDay)); err == nil {
					v["due_day"] = d.Format("1月2日")
				}
				out = append(out, recipient{customerID: r.ID, phone: r.Phone, valid: r.PhoneValid, vars: v})
			}
		}
	default:
		rows, err := q.AudienceCustomers(ctx, store.AudienceCustomersParams{DealerID: p.DealerID, Ids: p.Audience.CustomerIDs})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, recipient{customerID: r.ID, phone: r.Phone, valid: r.PhoneValid, vars: customerVars(r.Name, r.Title, r.Plate, r.Model)})
		}
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// DailySMSBroadcasts starts the automatic SMS broadcasts of a dealer's day: birthday
// greetings (held until 09:00 local) and the maintenance, insurance and inspection
// reminders for every reason the queue made due that day. Running it again the same day
// adds nothing.
func DailySMSBroadcasts(ctx context.Context, db *pgxpool.Pool, dealerID int64, day time.Time, now time.Time) (map[string]*SMSBroadcastResult, error) {
	d, err := store.New(db).GetDealerSMS(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("daily sms dealer %d: %w", dealerID, err)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("daily sms dealer %d: %w", dealerID, err)
	}
	ds := day.Format(time.DateOnly)
	nine := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, loc)
	runs := []SMSBroadcastParams{
		{Code: "birthday:" + ds, Template: "birthday", Audience: SMSAudience{Birthdays: true}, SendAt: nine},
		{Code: "maintenance:" + ds, Template: "maintenance", Audience: SMSAudience{Reasons: []string{"first_maintenance", "maintenance"}}},
		{Code: "insurance:" + ds, Template: "insurance", Audience: SMSAudience{Reasons: []string{"insurance"}}},
		{Code: "inspection:" + ds, Template: "inspection", Audience: SMSAudience{Reasons: []string{"inspection"}}},
	}
	out := map[string]*SMSBroadcastResult{}
	for _, r := range runs {
		r.DealerID, r.Day, r.Now = dealerID, day, now
		res, err := StartSMSBroadcast(ctx, db, r)
		if err != nil {
			return out, err
		}
		out[r.Template] = res
	}
	return out, nil
}
