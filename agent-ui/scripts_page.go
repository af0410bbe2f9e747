package agentui

import (
	"net/http"

	"github.com/huifang/huifang/scripts"
)

// scriptsPage lists the campaigns' scripts with the version in force for the dealer.
func (h *handler) scriptsPage(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	saved, err := h.q().LatestScriptVersionNumbers(r.Context(), u.DealerID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	versions := map[string]int32{}
	for _, s := range saved {
		versions[s.Campaign] = s.Version
	}
	type line struct {
		Campaign string
		Title    string
		Version  int32
	}
	var lines []line
	for _, c := range scripts.Campaigns() {
		s, err := scripts.Builtin(c)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		lines = append(lines, line{Campaign: c, Title: s.Title, Version: versions[c]})
	}
	h.render(w, r, "scripts.html", map[string]any{"Page": "scripts", "Scripts": lines})
}
