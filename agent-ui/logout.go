package agentui

import (
	"net/http"

	"github.com/huifang/huifang/store"
)

// logout ends the session.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r)
	if err := h.q().DeleteConsoleSession(r.Context(), s.tokenHash); err != nil {
		h.fail(w, r, err)
		return
	}
	// The session's live connections end with it.
	h.closeSession(r.Context(), s.tokenHash)
	_ = h.q().InsertAudit(r.Context(), store.InsertAuditParams{DealerID: &s.user.DealerID, UserID: &s.user.ID,
		Action: "console.logout", SubjectType: "user", SubjectID: &s.user.ID, Detail: []byte(`{}`)})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
