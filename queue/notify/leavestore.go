package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// leaveStoreTemplate names the leave-store care SMS (离店关怀短信).
const leaveStoreTemplate = "leave_store_care"

// LeaveStoreSMS says what LeaveStoreSMSTx did.
type LeaveStoreSMS struct {
	// ID is the leave-store care SMS queued by this call, zero when none was (no leave
	// time yet, or queued before).
	ID int64
	// Suppressed is true when the SMS was recorded as suppressed (do-not-call or an
	// invalid number) instead of queued.
	Suppressed bool
}

// LeaveStoreSMSTx queues, in the caller's transaction, the leave-store care SMS of a
// showroom visit that queue.RecordShowroomVisit stored in tx, once the visit has a leave
// time: an sms_messages row keyed by the visit (so it is queued once, whoever records
// the leave time again) and an "sms:send" outbox row, both committed with the visit or
// not at all. The text is the dealer's leave_store_care template (a director may edit
// it) with the dealer's signature. A do-not-call or invalid number gets the row as
// suppressed and no outbox row.
func LeaveStoreSMSTx(ctx context.Context, tx pgx.Tx, visit *queue.ShowroomVisitResult) (LeaveStoreSMS, error) {
	var res LeaveStoreSMS
	if visit == nil || visit.LeftAt == nil {
		return res, nil
	}
	q := store.New(tx)
	dnc, err := q.PhoneOnDoNotCall(ctx, store.PhoneOnDoNotCallParams{DealerID: visit.DealerID, Phone: visit.Phone})
	if err != nil {
		return res, fmt.Errorf("leave-store SMS: do-not-call: %w", err)
	}
	status := "queued"
	if dnc || !visit.PhoneValid {
		status = "suppressed"
	}
	body, vars, err := leaveStoreText(ctx, tx, visit.DealerID, visit.Name, visit.Title, visit.Day)
	if err != nil {
		return res, fmt.Errorf("leave-store SMS: %w", err)
	}
	smsID, err := q.InsertSMSMessageVars(ctx, store.InsertSMSMessageVarsParams{
		DealerID: visit.DealerID, CustomerID: &visit.CustomerID, Phone: visit.Phone, Kind: "service",
		Template: leaveStoreTemplate, Body: body,
		Status: status, IdempotencyKey: fmt.Sprintf("leave_store:%d", visit.VisitID), Vars: encodeSMSVars(vars),
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Queued when the leave time was first recorded.
	case err != nil:
		return res, fmt.Errorf("leave-store SMS: %w", err)
	case status == "suppressed":
		res.Suppressed = true
	default:
		res.ID = smsID
		if err := queue.InsertOutboxTx(ctx, tx, visit.DealerID, TypeSMSSend, SMSSendPayload{MessageID: smsID}); err != nil {
			return res, fmt.Errorf("leave-store SMS: %w", err)
		}
	}
	return res, nil
}

// leaveStoreText renders the leave-store care SMS from the dealer's template, and returns
// it with the variables it was rendered with.
func leaveStoreText(ctx context.Context, db store.DBTX, dealerID int64, name, title string, day time.Time) (string, map[string]string, error) {
	tmpl, err := LoadSMSTemplate(ctx, db, dealerID, leaveStoreTemplate)
	if err != nil {
		return "", nil, err
	}
	d, err := store.New(db).GetDealerSMS(ctx, dealerID)
	if err != nil {
		return "", nil, fmt.Errorf("dealer %d: %w", dealerID, err)
	}
	vars := customerVars(name, title, "", "")
	vars["dealer"] = d.Name
	vars["date"] = day.Format("2006年1月2日")
	body, err := RenderSMS(tmpl.Body, tmpl.Kind, d.Signature, vars)
	if err != nil {
		return "", nil, fmt.Errorf("template %s: %w", leaveStoreTemplate, err)
	}
	return body, vars, nil
}
