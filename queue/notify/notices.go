package notify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// The service notices: the appointment reminder SMS (预约提醒) and the thank-you SMS after a
// workshop visit (感谢短信), docs/domain.md "Appointments" and "Thank-you SMS". Both are
// service SMS: quiet hours and the marketing opt-out do not hold them, do-not-call and an
// invalid number suppress them. Each is keyed (sms_messages.idempotency_key) by what it is
// about, so it is queued at most once whoever runs QueueServiceNotices and how often.

//go:embed sql/appointment_reminders.sql
var remindersSQL string

//go:embed sql/thank_you.sql
var thankYouSQL string

// Template codes of the service notices.
const (
	AppointmentReminderTemplate = "appointment_reminder"
	ThankYouTemplate            = "thank_you"
)

// NoticesResult counts what QueueServiceNotices queued.
type NoticesResult struct {
	// Reminders and ThankYous are the messages queued (an "sms:send" outbox row each).
	Reminders, ThankYous int
	// Suppressed are those recorded as suppressed (do-not-call, invalid number).
	Suppressed int
}

// kindWords are the appointment kinds in the reminder's words.
var kindWords = map[string]string{"maintenance": "保养", "repair": "维修", "inspection": "检测", "test_drive": "试驾", "other": ""}

// QueueServiceNotices queues, in one transaction, the dealer's appointment reminders and
// thank-you SMS that are due at now: a reminder at appointment_reminder_minute (10:00) on
// the day before, or at once for a later booking until service_sms_until_minute (21:00),
// never after the appointment; a thank-you at thank_you_minute (18:00) on the visit day,
// at once for a visit known later that day until 21:00, else at
// thank_you_next_day_minute (09:00) the next day; once per customer and day. The SMS part
// runs it every minute with its clock, so "at once" means within a minute.
func QueueServiceNotices(ctx context.Context, db *pgxpool.Pool, dealerID int64, now time.Time) (NoticesResult, error) {
	var res NoticesResult
	err := store.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		res, err = queueServiceNoticesTx(ctx, tx, dealerID, now)
		return err
	})
	return res, err
}

func queueServiceNoticesTx(ctx context.Context, tx pgx.Tx, dealerID int64, now time.Time) (NoticesResult, error) {
	var res NoticesResult
	rules, err := queue.LoadRules(ctx, tx, dealerID)
	if err != nil {
		return res, fmt.Errorf("service notices: %w", err)
	}
	d, err := store.New(tx).GetDealerSMS(ctx, dealerID)
	if err != nil {
		return res, fmt.Errorf("service notices: dealer %d: %w", dealerID, err)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		return res, fmt.Errorf("service notices: dealer %d zone: %w", dealerID, err)
	}
	type due struct {
		customer               int64
		phone, name, title     string
		valid                  bool
		plate, model, template string
		key                    string
		date                   string
		reminder               bool
	}
	var all []due
	rows, err := tx.Query(ctx, remindersSQL, pgx.NamedArgs{"dealer_id": dealerID, "now": now,
		"remind_minute": rules.Get("appointment_reminder_minute"), "until_minute": rules.Get("service_sms_until_minute")})
	if err != nil {
		return res, fmt.Errorf("service notices: reminders: %w", err)
	}
	for rows.Next() {
		var x due
		var id int64
		var at, day time.Time
		var kind, advisor string
		if err := rows.Scan(&id, &x.customer, &at, &day, &kind, &advisor, &x.phone, &x.name, &x.title, &x.valid, &x.plate, &x.model); err != nil {
			rows.Close()
			return res, fmt.Errorf("service notices: reminders: %w", err)
		}
		x.template, x.reminder = AppointmentReminderTemplate, true
		x.key = fmt.Sprintf("appointment_reminder:%d:%s", id, day.Format(time.DateOnly))
		x.date = at.In(loc).Format("1月2日 15:04")
		if w := kindWords[kind]; w != "" {
			x.date += " " + w
		}
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("service notices: reminders: %w", err)
	}
	rows, err = tx.Query(ctx, thankYouSQL, pgx.NamedArgs{"dealer_id": dealerID, "now": now,
		"at_minute": rules.Get("thank_you_minute"), "until_minute": rules.Get("service_sms_until_minute"),
		"next_minute": rules.Get("thank_you_next_day_minute")})
	if err != nil {
		return res, fmt.Errorf("service notices: thank-you: %w", err)
	}
	for rows.Next() {
		var x due
		var day time.Time
		if err := rows.Scan(&x.customer, &day, &x.phone, &x.name, &x.title, &x.valid, &x.plate, &x.model); err != nil {
			rows.Close()
			return res, fmt.Errorf("service notices: thank-you: %w", err)
		}
		x.template = ThankYouTemplate
		x.key = fmt.Sprintf("thank_you:%d:%s", x.customer, day.Format(time.DateOnly))
		x.date = day.Format("1月2日")
		all = append(all, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("service notices: thank-you: %w", err)
	}
	q := store.New(tx)
	for _, x := range all {
		tmpl, err := LoadSMSTemplate(ctx, tx, dealerID, x.template)
		if err != nil {
			return res, err
		}
		vars := customerVars(x.name, x.title, x.plate, x.model)
		vars["dealer"] = d.Name
		vars["date"] = x.date
		body, err := RenderSMS(tmpl.Body, tmpl.Kind, d.Signature, vars)
		if err != nil {
			return res, fmt.Errorf("service notices: template %s: %w", x.template, err)
		}
		dnc, err := q.PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: dealerID, Phone: x.phone})
		if err != nil {
			return res, fmt.Errorf("service notices: do-not-call: %w", err)
		}
		status := "queued"
		if dnc || !x.valid {
			status = "suppressed"
		}
		cust := x.customer
		id, err := q.InsertSMSMessageVars(ctx, store.InsertSMSMessageVarsParams{DealerID: dealerID, CustomerID: &cust, Phone: x.phone,
			Kind: "service", Template: x.template, Body: body, Status: status, IdempotencyKey: x.key, Vars: encodeSMSVars(vars)})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue // queued before
		case err != nil:
			return res, fmt.Errorf("service notices: %s: %w", x.key, err)
		case status == "suppressed":
			res.Suppressed++
			continue
		}
		if err := queue.InsertOutboxTx(ctx, tx, dealerID, TypeSMSSend, SMSSendPayload{MessageID: id}); err != nil {
			return res, fmt.Errorf("service notices: %w", err)
		}
		if x.reminder {
			res.Reminders++
		} else {
			res.ThankYous++
		}
	}
	return res, nil
}
