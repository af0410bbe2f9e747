package agentui

import (
	"context"
	"time"

	"github.com/huifang/huifang/store"
)

// housekeeping runs housekeepOnce at start and then every cfg.Housekeeping, until ctx
// ends; a negative interval turns it off.
func (h *handler) housekeeping(ctx context.Context) {
	if h.cfg.Housekeeping < 0 {
		return
	}
	t := time.NewTicker(h.cfg.Housekeeping)
	defer t.Stop()
	for {
		h.housekeepOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// housekeepOnce deletes expired sessions, day-old failed logins, logins known for longer
// than loginKnownFor, and the recordings
// older than each dealer's retention (the call records stay; `huifang recordings purge`
// does the same by hand). Every step may run in several processes at once.
func (h *handler) housekeepOnce(ctx context.Context) {
	now := h.deps.Now()
	if n, err := h.q().DeleteExpiredConsoleSessions(ctx, now); err != nil {
		h.log.Error("delete expired sessions", "err", err)
	} else if n > 0 {
		h.log.Info("deleted expired sessions", "count", n)
	}
	if err := h.q().ClearLoginFailures(ctx, store.ClearLoginFailuresParams{Before: now.Add(-24 * time.Hour)}); err != nil {
		h.log.Error("delete old login failures", "err", err)
	}
	if _, err := h.q().DeleteStaleLoginPairs(ctx, now.Add(-loginKnownFor)); err != nil {
		h.log.Error("delete stale known logins", "err", err)
	}
	res, err := PurgeRecordings(ctx, h.deps.DB, now, "", h.log)
	if err != nil && ctx.Err() == nil {
		h.log.Error("purge recordings", "err", err)
	}
	for _, r := range res {
		if r.Deleted > 0 || r.Missing > 0 {
			h.log.Info("purged recordings", "dealer", r.DealerCode, "days", r.Days, "deleted", r.Deleted, "missing", r.Missing)
		}
	}
}
