package agentui

import "net/http"

// home sends agents to the console and directors to the wallboard.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	if userFrom(r).IsDirector() {
		http.Redirect(w, r, "/wallboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
