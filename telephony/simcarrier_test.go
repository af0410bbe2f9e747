package telephony

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/simcarrier"
)

// newTestCarrier starts a simulated carrier on a free loopback port, closed at cleanup.
func newTestCarrier(t testing.TB, cfg simcarrier.Config) *simcarrier.Carrier {
	t.Helper()
	cfg.ListenAddr = "127.0.0.1:0"
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	c, err := simcarrier.New(cfg)
	require.NoError(t, err)
	require.NoError(t, c.Start())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSimCarrierScenarios(t *testing.T) {
	tests := []struct {
		odds simcarrier.Odds
		want Outcome
	}{
		{simcarrier.Odds{Answer: 1}, OutcomeAnswered},
		{simcarrier.Odds{Busy: 1}, OutcomeBusy},
		{simcarrier.Odds{Unreachable: 1}, OutcomeUnreachable},
		{simcarrier.Odds{Invalid: 1}, OutcomeInvalidNumber},
		{simcarrier.Odds{NoAnswer: 1}, OutcomeNoAnswer},
	}
	for _, transport := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(transport+"_"+string(tt.want), func(t *testing.T) {
				c := newTestCarrier(t, simcarrier.Config{Odds: tt.odds, RingMin: 10 * time.Millisecond, RingMax: 20 * time.Millisecond,
					TalkMin: 100 * time.Millisecond, TalkMax: 150 * time.Millisecond})
				g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI(), Transport: transport}, RingTimeout: 300 * time.Millisecond})
				res, err := g.Dial(context.Background(), DialParams{To: "13900000001"})
				require.NoError(t, err)
				require.Equal(t, tt.want, res.Outcome, res.SIPReason)
				if tt.want == OutcomeAnswered {
					require.Equal(t, HangupCustomer, res.HangupBy, "the carrier hangs up after the talk time")
					require.GreaterOrEqual(t, res.TalkDuration(), 90*time.Millisecond)
				}
			})
		}
	}
}

// TestManyCallsLeaveNoGoroutines places 1000 calls of every kind against the simulated
// carrier and checks that the goroutine count returns to its baseline.
func TestManyCallsLeaveNoGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("places 1000 calls")
	}
	c := newTestCarrier(t, simcarrier.Config{
		Odds:    simcarrier.Odds{Answer: 4, Busy: 1, Unreachable: 1, Invalid: 1, NoAnswer: 1},
		RingMin: time.Millisecond, RingMax: 5 * time.Millisecond,
		TalkMin: 10 * time.Millisecond, TalkMax: 30 * time.Millisecond, NoAnswerAfter: 10 * time.Millisecond,
		Seed: 42,
	})
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI()}})
	// We hang up half of the answered calls ourselves, the carrier the other half.
	place := func(i int) *CallResult {
		p := DialParams{To: "13900000001"}
		if i%2 == 0 {
			p.OnAnswer = func(ctx context.Context, c *Call) error { return nil }
		}
		res, err := g.Dial(context.Background(), p)
		require.NoError(t, err)
		return res
	}
	for i := 0; i < 20; i++ {
		place(i)
	}
	runtime.GC()
	baseline := runtime.NumGoroutine()

	const calls, workers = 1000, 50
	outcomes := map[Outcome]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res := place(i)
				mu.Lock()
				outcomes[res.Outcome]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < calls; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("outcomes: %v", outcomes)
	require.Zero(t, outcomes[OutcomeTrunkFailure], "no call may fail")
	for _, o := range []Outcome{OutcomeAnswered, OutcomeBusy, OutcomeUnreachable, OutcomeInvalidNumber, OutcomeNoAnswer} {
		require.Positive(t, outcomes[o], "outcome %s seen", o)
	}
	require.Zero(t, g.ActiveDialogs())

	var n int
	for i := 0; i < 200; i++ {
		runtime.GC()
		if n = runtime.NumGoroutine(); n <= baseline+2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n > baseline+2 {
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
	require.LessOrEqual(t, n, baseline+2, "goroutines back to the baseline of %d", baseline)
}

// simCarrierAnswering answers every call at once and hangs up after talk.
func simCarrierAnswering(talk time.Duration) simcarrier.Config {
	return simcarrier.Config{Odds: simcarrier.Odds{Answer: 1}, RingMin: time.Millisecond, RingMax: time.Millisecond,
		TalkMin: talk, TalkMax: talk}
}

func TestTrunkConcurrencyCap(t *testing.T) {
	c := newTestCarrier(t, simCarrierAnswering(time.Minute))
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI(), MaxConcurrent: 2}})
	var mu sync.Mutex
	var up, most int
	// The first two calls wait for each other, so two are surely up at once.
	bothUp := make(chan struct{})
	var bothOnce sync.Once
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := g.Dial(context.Background(), DialParams{To: "13900000001", OnAnswer: func(ctx context.Context, _ *Call) error {
				mu.Lock()
				up++
				most = max(most, up)
				if up == 2 {
					bothOnce.Do(func() { close(bothUp) })
				}
				mu.Unlock()
				select {
				case <-bothUp:
				case <-ctx.Done():
				}
				mu.Lock()
				up--
				mu.Unlock()
				return nil
			}})
			require.NoError(t, err)
			require.Equal(t, OutcomeAnswered, res.Outcome)
		}()
	}
	wg.Wait()
	require.Equal(t, 2, most, "never more than two calls up at once")
}

func TestTrunkCapWaitEndsWithContext(t *testing.T) {
	c := newTestCarrier(t, simCarrierAnswering(time.Minute))
	g := newTestGateway(t, Config{Trunk: Trunk{URI: c.URI(), MaxConcurrent: 1}})
	hold := make(chan struct{})
	go func() {
		_, _ = g.Dial(context.Background(), DialParams{To: "13900000001", OnAnswer: func(ctx context.Context, _ *Call) error {
			<-hold
			return nil
		}})
	}()
	defer close(hold)
	for i := 0; i < 200 && g.ActiveDialogs() == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := g.Dial(ctx, DialParams{To: "13900000001"})
	require.ErrorContains(t, err, "free trunk channel")
}
