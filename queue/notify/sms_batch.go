package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// TypeSMSBatch sends up to SMSBatchSize queued sms_messages rows of a broadcast in one
// task (SMSBatchPayload): one statement claims them all, they are submitted in parallel,
// one statement records them sent. Each message is still claimed (queued → sending)
// before it is submitted, so a batch run twice sends nothing twice.
const TypeSMSBatch = "sms:batch"

// SMSBatchSize is how many messages a broadcast puts in one TypeSMSBatch task.
const SMSBatchSize = 100

// SMSBatchPayload is the payload of a TypeSMSBatch task.
type SMSBatchPayload struct {
	// MessageIDs are the sms_messages rows to send.
	MessageIDs []int64 `json:"message_ids"`
}

// handleSMSBatch sends a batch: through ProviderSender.SendBatch when the worker's sender
// is one, else message by message as TypeSMSSend does.
func (h *smsHandlers) handleSMSBatch(ctx context.Context, t *asynq.Task) error {
	var p SMSBatchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: bad payload %q: %v: %w", TypeSMSBatch, t.Payload(), err, asynq.SkipRetry)
	}
	if ps, ok := h.sender.(*ProviderSender); ok {
		return ps.SendBatch(ctx, p.MessageIDs)
	}
	var errs []error
	for _, id := range p.MessageIDs {
		task, err := NewSMSSendTask(id)
		if err != nil {
			return fmt.Errorf("%s: %v: %w", TypeSMSBatch, err, asynq.SkipRetry)
		}
		if err := h.handleSMSSend(ctx, task); err != nil && !errors.Is(err, asynq.SkipRetry) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SendBatch sends the messages ids, in rounds: each round takes as many slots of the
// provider's rate limit as it may use now (at most Parallel), claims that many of the
// messages that may go now in one statement, submits them at once and records each as
// sent the moment the provider accepts it. So what a killed worker leaves in 'sending'
// is at most one round. The messages no round could claim (held, suppressed, sent
// already) that are still queued go to Send one by one, which suppresses, defers or
// skips them. A failed submission is handled as in Send; the retryable errors are
// returned so Asynq runs the batch again (messages already sent are not claimed again).
func (s *ProviderSender) SendBatch(ctx context.Context, ids []int64) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	maxAttempts := s.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	par := s.Parallel
	if par <= 0 {
		par = 16
	}
	q := store.New(s.DB)
	name := s.Provider.Name()
	by := queue.WorkerID(ctx)
	pending := append([]int64(nil), ids...)
	var mu sync.Mutex
	var errs []error
	addErr := func(err error) {
		if err != nil && !errors.Is(err, asynq.SkipRetry) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	for len(pending) > 0 && ctx.Err() == nil {
		n := min(len(pending), par)
		if s.Limiter != nil {
			got, err := s.Limiter.Take(ctx, name, n)
			if err != nil {
				addErr(fmt.Errorf("sms batch: %w", err))
				break
			}
			n = got
		}
		// The claim runs to its end even when ctx ends meanwhile: a claim cut off by a
		// cancel may still commit, and its messages would then sit in sending, never
		// submitted and never resent. What was claimed after ctx ended is given back.
		rows, err := q.ClaimSMSBatchFast(context.WithoutCancel(ctx), store.ClaimSMSBatchFastParams{Now: now(), ClaimedBy: by, Ids: pending, Max: int32(n)})
		if err != nil {
			addErr(fmt.Errorf("sms batch: claim: %w", err))
			break
		}
		if len(rows) == 0 {
			break
		}
		if ctx.Err() != nil {
			for _, r := range rows {
				addErr(s.giveBack(ctx, q, r.ID, ctx.Err()))
			}
			break
		}
		claimed := make(map[int64]bool, len(rows))
		var wg sync.WaitGroup
		for _, r := range rows {
			claimed[r.ID] = true
			c := newSendClaim(r.ID, r.Phone, r.Body, int(r.Attempts), r.Template, r.Vars, r.Signature, r.ProviderTemplate, r.TemplateBody)
			wg.Add(1)
			go func() {
				defer wg.Done()
				addErr(s.submit(ctx, q, c, maxAttempts, now))
			}()
		}
		wg.Wait()
		rest := pending[:0]
		for _, id := range pending {
			if !claimed[id] {
				rest = append(rest, id)
			}
		}
		pending = rest
	}
	if ctx.Err() != nil {
		addErr(fmt.Errorf("sms batch: %w", ctx.Err()))
	} else if len(pending) > 0 {
		queued, err := q.QueuedSMSAmong(ctx, store.QueuedSMSAmongParams{Ids: pending, Now: now()})
		if err != nil {
			addErr(fmt.Errorf("sms batch: %w", err))
		}
		for _, id := range queued {
			addErr(s.Send(ctx, SMS{ID: id}))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sms batch of %d: %w", len(ids), errors.Join(errs...))
	}
	return nil
}
