package agentui

import (
	"fmt"
	"net/http"

	"github.com/huifang/huifang/store"
)

// mySIP is an agent's softphone page: the SIP account to enter in the phone, and a button
// that issues a new secret (the old one stops working).
func (h *handler) mySIP(w http.ResponseWriter, r *http.Request) {
	h.mySIPRender(w, r, "")
}

// mySIPIssue issues the logged-in agent a new random SIP secret, audited, and shows it
// this once (the page is not cached).
func (h *handler) mySIPIssue(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	secret, err := store.IssueSIPSecret(r.Context(), h.deps.DB, u.DealerID, u.ID, store.Actor{UserID: &u.ID, Source: "console"})
	if err != nil {
		h.fail(w, r, fmt.Errorf("issue own SIP secret: %w", err))
		return
	}
	h.mySIPRender(w, r, secret)
}

func (h *handler) mySIPRender(w http.ResponseWriter, r *http.Request, secret string) {
	u := userFrom(r)
	row, err := h.q().GetUser(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("my sip: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, "my_sip.html", map[string]any{"Page": "my/sip", "A": adminWords(langFrom(r)),
		"Username": row.Username, "Realm": store.SIPRealm, "Set": row.SipHa1 != "", "Secret": secret})
}
