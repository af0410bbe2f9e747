package telephony

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLimiterCancelGivesTheTurnBack: calls whose context ends while they wait for the
// CPS cap (or before) must not push later calls back. At 2 calls a second, after one
// call and 13 cancelled ones, the next call goes out one interval (500 ms) later; the
// hand-written limiter this replaced kept every cancelled turn and made it wait 14
// intervals (7 s), past the 2 s deadline given here.
func TestLimiterCancelGivesTheTurnBack(t *testing.T) {
	l := newLimiter(1, 2)
	release, err := l.acquire(context.Background())
	require.NoError(t, err)
	release()

	done, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 10; i++ {
		_, err := l.acquire(done)
		require.ErrorIs(t, err, context.Canceled)
	}
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err := l.acquire(ctx)
		cancel()
		require.Error(t, err, "the wait for the next turn ends with the context")
	}
	require.Len(t, l.sem, 0, "a failed wait frees the call slot")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	release, err = l.acquire(ctx)
	require.NoError(t, err, "the cancelled calls gave their turns back")
	release()
}
