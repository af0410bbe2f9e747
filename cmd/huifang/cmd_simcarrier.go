package main

import (
	"context"
	"fmt"
	"time"

	"github.com/huifang/huifang/telephony/media"
	"github.com/huifang/huifang/telephony/simcarrier"
)

// cmdSimCarrier runs the simulated carrier alone until interrupted.
func cmdSimCarrier(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "sim-carrier")
	d := simcarrier.DefaultOdds()
	listen := fs.String("listen", "127.0.0.1:5070", "HOST:PORT to listen on (UDP and TCP)")
	answer := fs.Float64("answer", d.Answer, "weight of answered calls")
	busy := fs.Float64("busy", d.Busy, "weight of busy (486)")
	unreachable := fs.Float64("unreachable", d.Unreachable, "weight of unreachable (480)")
	invalid := fs.Float64("invalid", d.Invalid, "weight of invalid numbers (404)")
	noAnswer := fs.Float64("no-answer", d.NoAnswer, "weight of calls nobody answers")
	ringMin := fs.Duration("ring-min", time.Second, "shortest ring time")
	ringMax := fs.Duration("ring-max", 5*time.Second, "longest ring time")
	talkMin := fs.Duration("talk-min", 5*time.Second, "shortest talk time")
	talkMax := fs.Duration("talk-max", 30*time.Second, "longest talk time")
	keys := fs.String("keys", "", "DTMF keys an answering customer may press, one at random per call (such as 1129); empty presses none")
	wav := fs.String("wav", "", "16-bit 8000 Hz WAV to play to answered calls (default a 440 Hz tone)")
	seed := fs.Uint64("seed", 0, "random seed (default from the clock)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	sc := simcarrier.Config{
		ListenAddr: *listen,
		Odds:       simcarrier.Odds{Answer: *answer, Busy: *busy, Unreachable: *unreachable, Invalid: *invalid, NoAnswer: *noAnswer},
		RingMin:    *ringMin, RingMax: *ringMax, TalkMin: *talkMin, TalkMax: *talkMax,
		Seed: *seed, Logger: cfg.logger(env), Keys: *keys,
	}
	if sc.Odds == (simcarrier.Odds{}) {
		return fmt.Errorf("%w: at least one weight must be positive", errUsage)
	}
	if *wav != "" {
		if sc.Audio, err = media.ReadWAV(*wav); err != nil {
			return fmt.Errorf("%w: --wav: %v", errUsage, err)
		}
	}
	c, err := simcarrier.New(sc)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := c.Start(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "simulated carrier on %s (trunk URI %s)\n", c.Addr(), c.URI())
	<-ctx.Done()
	stats := c.Stats()
	fmt.Fprintf(env.stdout, "calls: %v\n", stats)
	return c.Close()
}
