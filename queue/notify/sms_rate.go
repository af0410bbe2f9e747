package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimiter caps how many SMS per second each provider is handed, across every worker
// process: it counts submissions in Redis per provider and second (a fixed window).
type RateLimiter struct {
	// Redis holds the counters.
	Redis redis.UniversalClient
	// PerSecond is the cap per provider name; a provider not listed uses Default.
	PerSecond map[string]int
	// Default is the cap of unlisted providers; zero means no cap.
	Default int
	// Prefix starts the counter keys; empty means "huifang:sms:rate:".
	Prefix string
}

// Wait returns when provider may take one more message this second, or when ctx ends.
func (l *RateLimiter) Wait(ctx context.Context, provider string) error {
	_, err := l.Take(ctx, provider, 1)
	return err
}

// Take waits until provider may take at least one more message this second and returns
// how many of n it may take now (1..n), or an error when ctx ends. A sender claims only
// that many messages, so what it holds claimed is what goes out at once.
func (l *RateLimiter) Take(ctx context.Context, provider string, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	limit := l.Default
	if v, ok := l.PerSecond[provider]; ok {
		limit = v
	}
	if limit <= 0 {
		return n, nil
	}
	prefix := l.Prefix
	if prefix == "" {
		prefix = "huifang:sms:rate:"
	}
	for {
		now := time.Now()
		key := fmt.Sprintf("%s%s:%d", prefix, provider, now.Unix())
		pipe := l.Redis.TxPipeline()
		incr := pipe.IncrBy(ctx, key, int64(n))
		pipe.Expire(ctx, key, 2*time.Second)
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("sms rate limit %s: %w", provider, err)
		}
		// The counter went from incr-n to incr: the slots at or below limit are ours.
		if got := min(n, int(int64(limit)-(incr.Val()-int64(n)))); got > 0 {
			return got, nil
		}
		next := now.Truncate(time.Second).Add(time.Second)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
}
