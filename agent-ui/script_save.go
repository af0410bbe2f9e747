package agentui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/huifang/huifang/scripts"
)

// scriptSave stores a director's edit as the dealer's next version of the script. A
// script that does not parse is shown again with the problem.
func (h *handler) scriptSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	campaign := r.PathValue("campaign")
	body := strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n")
	s, err := h.deps.Scripts.Save(r.Context(), u.DealerID, campaign, []byte(body), trimTo(r.PostForm.Get("note"), 200), u.ID)
	if errors.Is(err, scripts.ErrUnknownCampaign) {
		h.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		h.log.InfoContext(r.Context(), "script rejected", "campaign", campaign, "user", u.Username, "err", err)
		h.showScriptEditor(w, r, body, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	h.audit(r.Context(), u, "script.save", "script", 0, map[string]any{"version": s.Version})
	http.Redirect(w, r, "/scripts/"+url.PathEscape(campaign)+"?saved="+url.QueryEscape(s.Version), http.StatusSeeOther)
}
