package agentui

import (
	"context"
	"encoding/json"
	"time"

	"github.com/huifang/huifang/store"
)

// wallboardLoop refreshes the queue depth on the wallboards every WallboardInterval and
// sends the agents' changes every WallboardFlush, batched, so a burst of a thousand agents
// changing state is a few messages per wallboard, not a thousand. The whole list of
// agents goes only to a wallboard that just connected.
func (h *handler) wallboardLoop(ctx context.Context) {
	full := time.NewTicker(h.cfg.WallboardInterval)
	defer full.Stop()
	flush := time.NewTicker(h.cfg.WallboardFlush)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-full.C:
			for _, id := range h.hub.watchedDealers(ctx) {
				h.pushQueue(ctx, id)
			}
		case <-flush.C:
			h.flushAgentChanges(ctx)
		}
	}
}

// wallboardChanged records an agent's new summary for the next batch, and shares it
// with the other console processes.
func (h *handler) wallboardChanged(ctx context.Context, dealerID, userID int64, summary map[string]any) {
	h.wallboardRecord(dealerID, userID, summary)
	if h.cluster != nil {
		h.cluster.summary(ctx, dealerID, userID, summary)
	}
}

// wallboardRecord records an agent's new summary, of this process or another, for the
// next batch.
func (h *handler) wallboardRecord(dealerID, userID int64, summary map[string]any) {
	h.wbMu.Lock()
	defer h.wbMu.Unlock()
	if h.wbPending == nil {
		h.wbPending = map[int64]map[int64]map[string]any{}
	}
	if h.wbLast == nil {
		h.wbLast = map[int64]map[int64]map[string]any{}
	}
	last := h.wbLast[dealerID]
	if last == nil {
		last = map[int64]map[string]any{}
		h.wbLast[dealerID] = last
	}
	last[userID] = summary
	m := h.wbPending[dealerID]
	if m == nil {
		m = map[int64]map[string]any{}
		h.wbPending[dealerID] = m
	}
	m[userID] = summary
}

// flushAgentChanges sends each dealer's batch of agent changes to its wallboards.
func (h *handler) flushAgentChanges(ctx context.Context) {
	h.wbMu.Lock()
	pending := h.wbPending
	h.wbPending = nil
	h.wbMu.Unlock()
	for dealerID, m := range pending {
		list := make([]map[string]any, 0, len(m))
		for _, s := range m {
			list = append(list, s)
		}
		b, err := json.Marshal(map[string]any{"type": "agents", "agents": list, "now_ms": h.deps.Now().UnixMilli()})
		if err != nil {
			h.log.Error("encode agent changes", "err", err)
			continue
		}
		h.hub.toDirectors(ctx, dealerID, b)
	}
}

// sendWallboard sends a dealer's whole wallboard to one wallboard that just connected.
func (h *handler) sendWallboard(ctx context.Context, c *client) {
	b, err := json.Marshal(h.wallboard(ctx, c.user.DealerID))
	if err != nil {
		h.log.Error("encode wallboard", "err", err)
		return
	}
	h.hub.toClient(ctx, c, b)
}

// pushQueue sends a dealer's queue depth to its open wallboards.
func (h *handler) pushQueue(ctx context.Context, dealerID int64) {
	m := h.queueDepth(ctx, dealerID)
	m["type"] = "queue"
	b, err := json.Marshal(m)
	if err != nil {
		h.log.Error("encode queue depth", "err", err)
		return
	}
	h.hub.toDirectors(ctx, dealerID, b)
}

// queueDepth counts the dealer's open tasks due today per campaign, with those taken
// and those flagged as abandoned.
func (h *handler) queueDepth(ctx context.Context, dealerID int64) map[string]any {
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
	return map[string]any{"queue": depth, "at": now.Format("15:04:05"), "now_ms": now.UnixMilli()}
}

// wallboard is the directors' live picture: agents and their state, calls in progress,
// and queue depth per campaign (with tasks taken and tasks flagged as abandoned).
func (h *handler) wallboard(ctx context.Context, dealerID int64) map[string]any {
	// The agents' latest summaries, as they published them: the wallboard never waits for
	// an agent busy with the queue or the gateway.
	agentsList := []map[string]any{}
	h.wbMu.Lock()
	for _, s := range h.wbLast[dealerID] {
		agentsList = append(agentsList, s)
	}
	h.wbMu.Unlock()
	if h.cluster != nil {
		// Every process's agents, as they last published them.
		if all, err := h.cluster.wallboardAgents(ctx, dealerID); err != nil {
			h.log.Error("console cluster: wallboard", "dealer", dealerID, "err", err)
		} else {
			agentsList = all
		}
	}
	inCall := 0
	for _, s := range agentsList {
		if s["phase"] == phaseCall {
			inCall++
		}
	}
	m := h.queueDepth(ctx, dealerID)
	m["type"], m["agents"], m["calls_in_progress"] = "wallboard", agentsList, inCall
	return m
}
