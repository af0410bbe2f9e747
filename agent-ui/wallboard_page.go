package agentui

import "net/http"

// wallboardPage is the directors' live wallboard; the data comes over /ws?view=wallboard.
func (h *handler) wallboardPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "wallboard.html", map[string]any{"Page": "wallboard"})
}
