package agentui

import (
	"context"
	"encoding/json"
	"time"

	"github.com/huifang/huifang/store"
)

// wallboardLoop refreshes the queue depth on every open wallboard; agent changes are
// pushed as they happen (agent.publishLocked).
func (h *handler) wallboardLoop(ctx context.Context) {
	t := time.NewTicker(h.cfg.WallboardInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, id := range h.hub.watchedDealers(ctx) {
				h.pushWallboard(ctx, id)
			}
		}
	}
}

// pushWallboard sends a dealer's whole wallboard to its open wallboards.
func (h *handler) pushWallboard(ctx context.Context, dealerID int64) {
	b, err := json.Marshal(h.wallboard(ctx, dealerID))
	if err != nil {
		h.log.Error("encode wallboard", "err", err)
		return
	}
	h.hub.toDirectors(ctx, dealerID, b)
}

// wallboard is the directors' live picture: agents and their state, calls in progress,
// and queue depth per campaign (with tasks taken and tasks flagged as abandoned).
func (h *handler) wallboard(ctx context.Context, dealerID int64) map[string]any {
	agentsList := []map[string]any{}
	inCall := 0
	for _, a := range h.agents.forDealer(dealerID) {
		a.mu.Lock()
		s := a.summaryLocked()
		if a.phase == phaseCall {
			inCall++
		}
		a.mu.Unlock()
		agentsList = append(agentsList, s)
	}
	loc := time.FixedZone("CST", 8*3600)
	if d, err := h.q().GetDealer(ctx, dealerID); err == nil {
		if l, err := time.LoadLocation(d.TimeZone); err == nil {
			loc = l
		}
	}
	now := h.deps.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	depth, err := h.q().QueueDepthByCampaign(ctx, store.QueueDepthByCampaignParams{DealerID: dealerID, Day: today})
	if err != nil {
		h.log.Error("queue depth", "dealer", dealerID, "err", err)
		depth = []store.QueueDepthByCampaignRow{}
	}
	return map[string]any{"type": "wallboard", "agents": agentsList, "queue": depth, "calls_in_progress": inCall,
		"at": now.Format("15:04:05")}
}
