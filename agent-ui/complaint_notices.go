package agentui

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/huifang/huifang/queue"
)

// complaintLoop tells directors about complaints at once (docs/domain.md "Complaints"):
// every cfg.ComplaintSweep, and at once when kicked (a complaint opened in this console),
// it runs queue.SweepComplaints and sends each notice, a "complaint" message, to every
// notice connection of the dealer's directors and admins (static/notify.js, on any page
// they have open, the wallboard included), here and, with a cluster, through Redis on the
// other processes. Each notice is claimed once in Postgres, so a notice is sent once
// whatever the number of console processes. A negative interval
// turns it off.
func (h *handler) complaintLoop(ctx context.Context) {
	if h.cfg.ComplaintSweep < 0 {
		return
	}
	t := time.NewTicker(h.cfg.ComplaintSweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.complaintKick:
		}
		h.sweepComplaints(ctx)
	}
}

// sweepComplaints runs one sweep and sends its notices.
func (h *handler) sweepComplaints(ctx context.Context) {
	ns, err := queue.SweepComplaints(ctx, h.deps.DB, h.deps.Now())
	if err != nil {
		if ctx.Err() == nil {
			h.log.Error("complaint sweep", "err", err)
		}
		return
	}
	for _, n := range ns {
		b, err := json.Marshal(map[string]any{"type": "complaint", "notice": n, "href": "/director/complaints/" + strconv.FormatInt(n.ComplaintID, 10)})
		if err != nil {
			continue
		}
		h.hub.toNotes(ctx, n.DealerID, b)
		if h.cluster != nil {
			h.cluster.toNotes(ctx, n.DealerID, b) // directors connected to other processes
		}
	}
}

// kickComplaints asks the complaint loop to sweep now (a complaint may have opened).
func (h *handler) kickComplaints() {
	select {
	case h.complaintKick <- struct{}{}:
	default:
	}
}
