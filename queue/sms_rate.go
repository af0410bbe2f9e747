package queue

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
	limit := l.Default
	if n, ok := l.PerSecond[provider]; ok {
		limit = n
	}
	if limit <= 0 {
		return nil
	}
	prefix := l.Prefix
	if prefix == "" {
		prefix = "huifang:sms:rate:"
	}
	for {
		now := time.Now()
		key := fmt.Sprintf("%s%s:%d", prefix, provider, now.Unix())
		pipe := l.Redis.TxPipeline()
		incr := pipe.Incr(ctx, key)
		pipe.Expire(ctx, key, 2*time.Second)
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("sms rate limit %s: %w", provider, err)
		}
		if incr.Val() <= int64(limit) {
			return nil
		}
		next := now.Truncate(time.Second).Add(time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
}
