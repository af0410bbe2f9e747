package telephony

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// credCache keeps the Credentials' answers (an agent, or "unknown") for a short time, and
// bounds how many lookups run at once, so that a flood of REGISTERs or INVITEs costs the
// database a few queries, not one per try, and cannot take the console's connections.
type credCache struct {
	src Credentials
	ttl time.Duration
	sem chan struct{}

	mu sync.Mutex
	m  map[string]cachedAgent
}

type cachedAgent struct {
	agent Agent
	err   error // nil or ErrUnknownAgent
	until time.Time
}

// maxCachedAgents bounds the cache; past it, answers are not kept.
const maxCachedAgents = 20000

func newCredCache(src Credentials, ttl time.Duration, concurrent int) *credCache {
	return &credCache{src: src, ttl: ttl, sem: make(chan struct{}, max(concurrent, 1)), m: map[string]cachedAgent{}}
}

// lookup returns the agent with this user name, from the cache when it is fresh.
func (c *credCache) lookup(ctx context.Context, user string, now time.Time) (Agent, error) {
	if c.ttl > 0 {
		c.mu.Lock()
		e, ok := c.m[user]
		c.mu.Unlock()
		if ok && now.Before(e.until) {
			return e.agent, e.err
		}
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return Agent{}, fmt.Errorf("waiting to look up agent %s: %w", user, ctx.Err())
	}
	a, err := c.src.LookupAgent(ctx, user)
	<-c.sem
	if c.ttl > 0 && (err == nil || errors.Is(err, ErrUnknownAgent)) {
		if err != nil {
			err = ErrUnknownAgent
		}
		c.mu.Lock()
		if len(c.m) >= maxCachedAgents {
			for k, e := range c.m {
				if !now.Before(e.until) {
					delete(c.m, k)
				}
			}
		}
		if len(c.m) < maxCachedAgents {
			c.m[user] = cachedAgent{agent: a, err: err, until: now.Add(c.ttl)}
		}
		c.mu.Unlock()
	}
	return a, err
}
