package agentui

import (
	"net/http"

	"github.com/huifang/huifang/store"
)

// callsPage is the directors' record list: the latest calls of their dealer with the
// outcome, the agent, the script version and the recording.
func (h *handler) callsPage(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	rows, err := h.q().ListRecentOutcomes(r.Context(), store.ListRecentOutcomesParams{DealerID: u.DealerID, MaxRows: 200})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type line struct {
		store.ListRecentOutcomesRow
		At       string
		Label    string
		Answered bool
		TalkSecs int
	}
	loc := u.location()
	lines := make([]line, 0, len(rows))
	for _, x := range rows {
		l := line{ListRecentOutcomesRow: x, At: x.CreatedAt.In(loc).Format("01-02 15:04"), Label: x.LabelZh}
		if langFrom(r) == langEN {
			l.Label = x.LabelEn
		}
		if x.AnswerAt != nil && x.EndAt != nil {
			l.Answered = true
			l.TalkSecs = int(x.EndAt.Sub(*x.AnswerAt).Seconds())
		}
		lines = append(lines, l)
	}
	h.render(w, r, "calls.html", map[string]any{"Page": "calls", "Calls": lines})
}
