package agentui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
)

// uncertainLine is one uncertain message (状态不明) as the SMS page lists it.
type uncertainLine struct {
	ID                                              int64
	Customer, Phone, Broadcast, Template, ClaimedAt string
}

// smsUncertain returns how many of the dealer's messages are uncertain and the oldest
// of them: a worker stopped between handing them to the gateway and hearing back, so
// nobody knows whether the customer got them.
func (h *handler) smsUncertain(r *http.Request) (int64, []uncertainLine, error) {
	u := userFrom(r)
	q := h.q()
	n, err := q.CountUncertainSMS(r.Context(), u.DealerID)
	if err != nil || n == 0 {
		return n, nil, err
	}
	rows, err := q.ListUncertainSMS(r.Context(), store.ListUncertainSMSParams{DealerID: u.DealerID, Max: 200})
	if err != nil {
		return n, nil, err
	}
	out := make([]uncertainLine, 0, len(rows))
	for _, m := range rows {
		l := uncertainLine{ID: m.ID, Customer: m.Customer, Phone: m.Phone, Broadcast: m.Broadcast, Template: m.Template}
		if m.ClaimedAt != nil {
			l.ClaimedAt = m.ClaimedAt.In(u.location()).Format("2006-01-02 15:04:05")
		}
		out = append(out, l)
	}
	return n, out, nil
}

// directorSMSUncertainDecide applies the director's decision (decision=sent, resend or
// failed) to the uncertain messages checked (id=...), audited (notify.DecideUncertainSMS).
func (h *handler) directorSMSUncertainDecide(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			h.fail(w, r, errStatus(http.StatusBadRequest, fmt.Sprintf("%s: %q", dword(lang, "uncertain_bad_id"), v)))
			return
		}
		ids = append(ids, id)
	}
	decision := r.PostForm.Get("decision")
	switch decision {
	case notify.UncertainSent, notify.UncertainResend, notify.UncertainGiveUp:
	default:
		h.fail(w, r, errStatus(http.StatusBadRequest, fmt.Sprintf("%s: %q", dword(lang, "uncertain_bad_decision"), decision)))
		return
	}
	if len(ids) == 0 {
		h.fail(w, r, errStatus(http.StatusBadRequest, dword(lang, "uncertain_none_checked")))
		return
	}
	n, err := notify.DecideUncertainSMS(r.Context(), h.deps.DB, u.DealerID, u.ID, ids, decision)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/director/sms?decided="+strconv.Itoa(n)+"#uncertain", http.StatusSeeOther)
}
