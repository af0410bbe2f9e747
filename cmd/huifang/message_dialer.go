package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/media"
)

// gatewayMessageDialer places the queue's message calls through the SIP gateway's
// message-call path (prompt, one DTMF key). Prompts are read once per path.
type gatewayMessageDialer struct {
	gw           *telephony.Gateway
	digitTimeout time.Duration
	mu           sync.Mutex
	prompts      map[string][]int16
}

func newGatewayMessageDialer(gw *telephony.Gateway) *gatewayMessageDialer {
	return &gatewayMessageDialer{gw: gw, digitTimeout: 6 * time.Second, prompts: map[string][]int16{}}
}

func (d *gatewayMessageDialer) prompt(path string) ([]int16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.prompts[path]; ok {
		return p, nil
	}
	p, err := media.ReadWAV(path)
	if err != nil {
		return nil, fmt.Errorf("message call prompt: %w", err)
	}
	d.prompts[path] = p
	return p, nil
}

// MessageCall calls r.Phone, plays the campaign's prompt and returns the key pressed.
func (d *gatewayMessageDialer) MessageCall(ctx context.Context, r notify.MessageCallRequest) (notify.MessageCallResult, error) {
	prompt, err := d.prompt(r.PromptPath)
	if err != nil {
		return notify.MessageCallResult{}, err
	}
	res, err := d.gw.MessageCall(ctx, telephony.MessageParams{
		Dial:   telephony.DialParams{To: r.Phone, Meta: telephony.CallMeta{DealerID: r.DealerID, CustomerID: r.CustomerID}},
		Prompt: prompt, DigitTimeout: d.digitTimeout,
	})
	if err != nil {
		return notify.MessageCallResult{}, fmt.Errorf("message call %s: %w", r.Phone, err)
	}
	return notify.MessageCallResult{CallID: res.CallID, Outcome: string(res.Outcome), Digit: res.DTMF}, nil
}
