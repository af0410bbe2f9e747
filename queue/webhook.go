package queue

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// Webhooks: a dealer's endpoints hear of events whatever caused them (a call, a
// director, the API, an import). The events are written by the database triggers of
// migration 0120 (webhook_emit): in the same transaction as the change, an event with its
// exact body, a delivery per subscribed endpoint and an outbox row per delivery. The
// relay hands each to a worker as a TypeWebhookDeliver task, which POSTs the body signed
// with the endpoint's secret and retries with backoff for WebhookWindow; at least once,
// so receivers drop repeats by the body's id.

// The webhook events.
const (
	EventOutcomeRecorded      = "outcome.recorded"
	EventAppointmentBooked    = "appointment.booked"
	EventAppointmentCancelled = "appointment.cancelled"
	EventComplaintOpened      = "complaint.opened"
	EventComplaintResolved    = "complaint.resolved"
	EventSMSOptedOut          = "sms.opted_out"
)

// WebhookEvents returns every event an endpoint may subscribe to.
func WebhookEvents() []string {
	return []string{EventOutcomeRecorded, EventAppointmentBooked, EventAppointmentCancelled,
		EventComplaintOpened, EventComplaintResolved, EventSMSOptedOut}
}

// TypeWebhookDeliver delivers one webhook_deliveries row (WebhookDeliverPayload).
const TypeWebhookDeliver = "webhook:deliver"

// WebhookDeliverPayload is the payload of a TypeWebhookDeliver task and outbox row.
type WebhookDeliverPayload struct {
	// DeliveryID is the webhook_deliveries row.
	DeliveryID int64 `json:"delivery_id"`
}

// WebhookWindow is how long a delivery is retried before it is given up.
const WebhookWindow = 24 * time.Hour

// webhookBackoff is the wait before retry n of a delivery: 30 s doubling up to 2 h.
func webhookBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 0; i < n && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

// AddWebhook registers url for the dealer's events and returns its id and signing
// secret, which is shown only now.
func AddWebhook(ctx context.Context, db store.DBTX, dealerID int64, rawURL string, events []string) (int64, string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, "", &FieldError{Field: "url", Msg: fmt.Sprintf("webhook url %q is not an http or https URL", rawURL)}
	}
	if len(events) == 0 {
		return 0, "", &FieldError{Field: "events", Msg: "a webhook needs at least one event (" + strings.Join(WebhookEvents(), ", ") + ")"}
	}
	var evs []string
	for _, e := range events {
		e = strings.TrimSpace(e)
		if !slices.Contains(WebhookEvents(), e) {
			return 0, "", &FieldError{Field: "events", Msg: fmt.Sprintf("unknown event %q (one of %s)", e, strings.Join(WebhookEvents(), ", "))}
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return 0, "", fmt.Errorf("webhook secret: %w", err)
	}
	secret := "whsec_" + hex.EncodeToString(b)
	id, err := store.New(db).InsertWebhookEndpoint(ctx, store.InsertWebhookEndpointParams{DealerID: dealerID, Url: u.String(), Events: evs, Secret: secret})
	if err != nil {
		return 0, "", fmt.Errorf("add webhook: %w", err)
	}
	return id, secret, nil
}

// ErrNoWebhook is returned for a webhook or delivery that is not the dealer's.
var ErrNoWebhook = errors.New("no such webhook for this dealer")

// RemoveWebhook stops the dealer's endpoint id from getting events; its deliveries stay
// listed, and pending ones are given up.
func RemoveWebhook(ctx context.Context, db store.DBTX, dealerID, id int64) error {
	n, err := store.New(db).DeactivateWebhookEndpoint(ctx, store.DeactivateWebhookEndpointParams{ID: id, DealerID: dealerID})
	if err != nil {
		return fmt.Errorf("remove webhook %d: %w", id, err)
	}
	if n == 0 {
		return ErrNoWebhook
	}
	return nil
}

// Redeliver sends a delivery of the dealer's again, with a new retry window, through the
// outbox.
func Redeliver(ctx context.Context, tx pgx.Tx, dealerID, deliveryID int64, now time.Time) error {
	q := store.New(tx)
	n, err := q.RestartWebhookDelivery(ctx, store.RestartWebhookDeliveryParams{Now: now, ID: deliveryID, DealerID: dealerID})
	if err != nil {
		return fmt.Errorf("redeliver %d: %w", deliveryID, err)
	}
	if n == 0 {
		return ErrNoWebhook
	}
	return insertOutbox(ctx, q, dealerID, TypeWebhookDeliver, WebhookDeliverPayload{DeliveryID: deliveryID})
}

// SignWebhook is the X-Huifang-Signature of body: "sha256=" and the hex HMAC-SHA256 of
// the exact body with the endpoint's secret.
func SignWebhook(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// handleWebhookDeliver POSTs one delivery. A 2xx answer delivers it; anything else is
// recorded (tries, last status and error) and retried by Asynq with webhookBackoff until
// WebhookWindow has passed since the delivery's window started.
func (h *handlers) handleWebhookDeliver(ctx context.Context, t *asynq.Task) error {
	var p WebhookDeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.DeliveryID <= 0 {
		return fmt.Errorf("%s: bad payload %q: %w", TypeWebhookDeliver, t.Payload(), asynq.SkipRetry)
	}
	q := store.New(h.db)
	d, err := q.GetWebhookDelivery(ctx, p.DeliveryID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: no delivery %d: %w", TypeWebhookDeliver, p.DeliveryID, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("%s %d: %w", TypeWebhookDeliver, p.DeliveryID, err)
	}
	if d.Status == "delivered" {
		return nil
	}
	finish := func(status string, code int, msg string) error {
		now := h.now()
		return q.FinishWebhookTry(ctx, store.FinishWebhookTryParams{Status: status, LastStatus: int32(code), LastError: msg, Now: &now, ID: d.ID})
	}
	if !d.Active {
		if err := finish("failed", 0, "the webhook was removed"); err != nil {
			return err
		}
		return fmt.Errorf("%s %d: webhook removed: %w", TypeWebhookDeliver, d.ID, asynq.SkipRetry)
	}
	code, sendErr := h.postWebhook(ctx, d.Url, d.Event, d.Secret, []byte(d.Body))
	if sendErr == nil {
		h.metrics.WebhookDelivered(d.Event, WebhookDelivered2xx)
		return finish("delivered", code, "")
	}
	if h.now().Sub(d.WindowStart) >= WebhookWindow {
		h.metrics.WebhookDelivered(d.Event, WebhookGaveUp)
		if err := finish("failed", code, sendErr.Error()); err != nil {
			return err
		}
		return fmt.Errorf("%s %d: gave up after %s: %v: %w", TypeWebhookDeliver, d.ID, WebhookWindow, sendErr, asynq.SkipRetry)
	}
	h.metrics.WebhookDelivered(d.Event, WebhookFailed)
	if err := finish("pending", code, sendErr.Error()); err != nil {
		return err
	}
	return fmt.Errorf("%s %d: %w", TypeWebhookDeliver, d.ID, sendErr)
}

// postWebhook sends body to url and returns the answer's status; an error for anything
// but a 2xx.
func (h *handlers) postWebhook(ctx context.Context, url, event, secret string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Huifang-Webhook/1")
	req.Header.Set("X-Huifang-Event", event)
	req.Header.Set("X-Huifang-Signature", SignWebhook(secret, body))
	res, err := h.webhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("the receiver answered %s", res.Status)
	}
	return res.StatusCode, nil
}
