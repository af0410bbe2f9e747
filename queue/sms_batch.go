package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/huifang/huifang/store"
)

// TypeSMSBatch sends up to SMSBatchSize queued sms_messages rows of a campaign in one
// task (SMSBatchPayload): one statement claims them all, they are submitted in parallel,
// one statement records them sent. Each message is still claimed (queued → sending)
// before it is submitted, so a batch run twice sends nothing twice.
const TypeSMSBatch = "sms:batch"

// SMSBatchSize is how many messages a campaign puts in one TypeSMSBatch task.
const SMSBatchSize = 100

// SMSBatchPayload is the payload of a TypeSMSBatch task.
type SMSBatchPayload struct {
	// MessageIDs are the sms_messages rows to send.
	MessageIDs []int64 `json:"message_ids"`
}

// handleSMSBatch sends a batch: through ProviderSender.SendBatch when the worker's sender
// is one, else message by message as TypeSMSSend does.
func (h *handlers) handleSMSBatch(ctx context.Context, t *asynq.Task) error {
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

// SendBatch sends the messages ids: it claims every one that may go now in one
// statement, hands the others to Send one by one (which suppresses, defers or skips them),
// submits the claimed ones with up to Parallel submissions at once, and records the
// accepted ones in one statement. Submissions that failed are handled as in Send; the
// first retryable error is returned so Asynq runs the batch again (messages already sent
// are not claimed again).
func (s *ProviderSender) SendBatch(ctx context.Context, ids []int64) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	maxAttempts := s.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	q := store.New(s.DB)
	rows, err := q.ClaimSMSBatchFast(ctx, store.ClaimSMSBatchFastParams{Now: now(), Ids: ids})
	if err != nil {
		return fmt.Errorf("sms batch: claim: %w", err)
	}
	claimed := map[int64]bool{}
	for _, r := range rows {
		claimed[r.ID] = true
	}
	var errs []error
	for _, id := range ids {
		if !claimed[id] {
			if err := s.Send(ctx, SMS{ID: id}); err != nil && !errors.Is(err, asynq.SkipRetry) {
				errs = append(errs, err)
			}
		}
	}
	par := s.Parallel
	if par <= 0 {
		par = 16
	}
	name := s.Provider.Name()
	var mu sync.Mutex
	var sentIDs []int64
	var pids []string
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func(c sendClaim) {
			defer wg.Done()
			defer func() { <-sem }()
			if s.Limiter != nil {
				if err := s.Limiter.Wait(ctx, name); err != nil {
					err = s.giveBack(ctx, q, c.id, err)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
			pid, err := s.Provider.Submit(ctx, c.msg)
			if err != nil {
				err = s.submitFailed(ctx, q, &c, err, maxAttempts)
				if err != nil && !errors.Is(err, asynq.SkipRetry) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				return
			}
			mu.Lock()
			sentIDs = append(sentIDs, c.id)
			pids = append(pids, pid)
			mu.Unlock()
		}(*newSendClaim(r.ID, r.Phone, r.Body, int(r.Attempts), r.Template, r.Vars, r.Signature, r.ProviderTemplate, r.TemplateBody))
	}
	wg.Wait()
	if len(sentIDs) > 0 {
		if err := q.MarkSMSSubmittedBatch(context.WithoutCancel(ctx), store.MarkSMSSubmittedBatchParams{
			Now: now(), Provider: name, Ids: sentIDs, ProviderIds: pids,
		}); err != nil {
			// The provider has them; their delivery reports will move the status.
			errs = append(errs, fmt.Errorf("sms batch: %d submitted but not recorded: %w", len(sentIDs), err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sms batch of %d: %w", len(ids), errors.Join(errs...))
	}
	return nil
}
