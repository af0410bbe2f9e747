package agentui

import (
	"context"
	"time"

	"github.com/huifang/huifang/store"
)

// housekeeping deletes expired sessions and day-old failed logins, once at start and
// then every hour.
func (h *handler) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		now := h.deps.Now()
		if n, err := h.q().DeleteExpiredConsoleSessions(ctx, now); err != nil {
			h.log.Error("delete expired sessions", "err", err)
		} else if n > 0 {
			h.log.Info("deleted expired sessions", "count", n)
		}
		if err := h.q().ClearLoginFailures(ctx, store.ClearLoginFailuresParams{Before: now.Add(-24 * time.Hour)}); err != nil {
			h.log.Error("delete old login failures", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
