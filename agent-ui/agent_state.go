package agentui

import (
	"context"
	"time"

	"github.com/huifang/huifang/store"
)

// stateLocked is the agent's whole state as the browser shows it. Durations are computed
// here, from the server's clock.
func (a *agent) stateLocked() map[string]any {
	now := a.now()
	m := map[string]any{
		"type":         "state",
		"status":       a.status,
		"pause_reason": a.pauseReason,
		"mode":         a.mode,
		"phase":        a.phase,
		"status_secs":  int(now.Sub(a.since).Seconds()),
		"notice":       a.notice,
		"calls_done":   a.callsDone,
	}
	if !a.noticeUntil.IsZero() {
		m["notice_until"] = a.noticeUntil.In(a.u.location()).Format("2006-01-02 15:04")
	}
	if a.phase == phaseCountdown {
		m["countdown"] = secondsLeft(a.deadline, now)
	}
	if t := a.task; t != nil {
		m["task"] = map[string]any{
			"id": t.ID, "customer_id": t.CustomerID, "campaigns": t.Campaigns, "reasons": t.Reasons,
			"attempts": t.Attempts, "flagged": t.Flagged, "reclaimed": t.Reclaimed,
			"card": t.card, "script": t.script, "held_secs": int(now.Sub(t.takenAt).Seconds()),
		}
	}
	if c := a.call; c != nil {
		m["call"] = a.callViewLocked(now)
	}
	return m
}

func (a *agent) callViewLocked(now time.Time) map[string]any {
	c := a.call
	end := now
	if !c.ended.IsZero() {
		end = c.ended
	}
	v := map[string]any{"state": c.state, "secs": int(end.Sub(c.started).Seconds()), "result": c.result, "hangup_by": c.hangupBy,
		"started_ms": c.started.UnixMilli()}
	if !c.ended.IsZero() {
		v["ended_ms"] = c.ended.UnixMilli()
	}
	v["answered"] = !c.answered.IsZero()
	if !c.answered.IsZero() {
		v["talk_secs"] = int(end.Sub(c.answered).Seconds())
	}
	return v
}

func secondsLeft(deadline, now time.Time) int {
	d := deadline.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// tickLocked is the once-a-second update of the running timers.
func (a *agent) tickLocked() map[string]any {
	now := a.now()
	m := map[string]any{"type": "tick", "phase": a.phase}
	if a.phase == phaseCountdown {
		m["countdown"] = secondsLeft(a.deadline, now)
	}
	if a.call != nil {
		m["call"] = a.callViewLocked(now)
	}
	return m
}

// helloLocked is sent to each new connection: who the user is and the dealer's outcome list.
func (a *agent) helloLocked(ctx context.Context) map[string]any {
	codes, err := store.New(a.h.deps.DB).ListOutcomeCodes(ctx, &a.u.DealerID)
	if err != nil {
		a.h.log.Error("list outcome codes", "dealer", a.u.DealerID, "err", err)
	}
	type code struct {
		Code    string `json:"code"`
		LabelZH string `json:"label_zh"`
		LabelEN string `json:"label_en"`
		Effect  string `json:"effect"`
		Reached bool   `json:"reached"`
		Sort    int32  `json:"sort"`
	}
	list := make([]code, 0, len(codes))
	for _, c := range codes {
		list = append(list, code{c.Code, c.LabelZh, c.LabelEn, c.Effect, c.Reached, c.Sort})
	}
	sortCodes(list, func(c code) int32 { return c.Sort })
	phone := WebPhoneSettings{ICEServers: []ICEServer{}}
	if a.h.deps.WebPhone != nil {
		phone = a.h.deps.WebPhone.Settings(a.u.Username)
	}
	return map[string]any{"type": "hello", "user": a.u, "outcome_codes": list,
		"complaint_categories": complaintCategories, "skip_reasons": skipReasons, "pause_reasons": pauseReasons,
		"web_phone": phone}
}

func sortCodes[T any](list []T, key func(T) int32) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && key(list[j]) < key(list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// summaryLocked is the agent's line on the wallboard.
func (a *agent) summaryLocked() map[string]any {
	now := a.now()
	m := map[string]any{
		"user_id": a.u.ID, "username": a.u.Username, "name": a.u.Name(), "status": a.status,
		"pause_reason": a.pauseReason, "phase": a.phase, "status_secs": int(now.Sub(a.since).Seconds()),
		"connected": a.conns > 0, "calls_done": a.callsDone, "since_ms": a.since.UnixMilli(),
	}
	if a.task != nil {
		m["task_id"] = a.task.ID
		m["campaigns"] = a.task.Campaigns
		if a.task.card != nil {
			m["customer"] = a.task.card.Salutation
		}
	}
	if a.call != nil {
		m["call"] = a.callViewLocked(now)
	}
	return m
}

var complaintCategories = []string{"service_quality", "repair_quality", "price", "waiting_time", "parts", "attitude", "sales", "other"}

var skipReasons = []string{"customer_in_store", "duplicate", "handled_elsewhere", "wrong_data", "other"}

var pauseReasons = []string{"break", "meal", "meeting", "training", "admin_work"}
