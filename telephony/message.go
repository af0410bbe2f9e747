package telephony

import (
	"context"
	"time"
)

// MessageParams describes a recorded-message call: no agent, a prompt, one key press.
type MessageParams struct {
	// Dial says whom to call; its Kind becomes "message" and OnAnswer is ours.
	Dial DialParams
	// Prompt is the message, 8000 Hz samples (media.ReadWAV reads a WAV prompt).
	Prompt []int16
	// DigitTimeout is how long we wait for a key after the prompt (default 5s).
	DigitTimeout time.Duration
}

// MessageCall calls the customer, plays the prompt when they answer, collects one DTMF
// digit (RFC 4733 events, or SIP INFO as a fallback; a key pressed during the prompt
// stops it), hangs up and returns. The digit is in the result's DTMF ("" when none came).
func (g *Gateway) MessageCall(ctx context.Context, p MessageParams) (*CallResult, error) {
	d := p.Dial
	d.Kind = "message"
	wait := p.DigitTimeout
	if wait <= 0 {
		wait = 5 * time.Second
	}
	d.OnAnswer = func(ctx context.Context, c *Call) error {
		c.SetHangupBy(HangupSystem)
		got := make(chan struct{})
		playCtx, stopPlay := context.WithCancel(ctx)
		defer stopPlay()
		readCtx, stopRead := context.WithCancel(ctx)
		defer func() { stopRead(); <-got }()
		go func() {
			defer close(got)
			if _, err := c.ReadDigit(readCtx); err == nil {
				stopPlay()
			}
		}()
		_ = c.Play(playCtx, p.Prompt)
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-got:
			return nil
		case <-t.C:
		case <-ctx.Done():
		}
		return nil
	}
	return g.Dial(ctx, d)
}
