package agentui

import "net/http"

// home sends agents to the console, directors to the wallboard and the service desk to
// the desk.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	if userFrom(r).IsServiceDesk() {
		http.Redirect(w, r, "/desk", http.StatusSeeOther)
		return
	}
	if userFrom(r).IsDirector() {
		http.Redirect(w, r, "/wallboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
