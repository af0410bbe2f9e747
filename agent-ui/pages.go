package agentui

import "net/http"

// consolePage is the agent's working screen; everything live comes over /ws.
func (h *handler) consolePage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "console.html", map[string]any{"Page": "console"})
}
