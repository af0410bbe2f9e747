package agentui

import (
	"errors"
	"net/http"

	"github.com/huifang/huifang/scripts"
	"github.com/huifang/huifang/store"
)

// scriptEditPage shows a campaign's script in force for the dealer, for editing, with
// its earlier versions.
func (h *handler) scriptEditPage(w http.ResponseWriter, r *http.Request) {
	h.showScriptEditor(w, r, "", "", http.StatusOK)
}

func (h *handler) showScriptEditor(w http.ResponseWriter, r *http.Request, body, problem string, status int) {
	u := userFrom(r)
	campaign := r.PathValue("campaign")
	src, version, err := h.deps.Scripts.Source(r.Context(), u.DealerID, campaign)
	if errors.Is(err, scripts.ErrUnknownCampaign) {
		h.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	history, err := h.q().ListScriptVersions(r.Context(), store.ListScriptVersionsParams{DealerID: u.DealerID, Campaign: campaign})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if body == "" {
		body = string(src)
	}
	type versionLine struct {
		Version int32
		At      string
		By      string
		Note    string
	}
	versions := make([]versionLine, 0, len(history))
	for _, v := range history {
		versions = append(versions, versionLine{Version: v.Version, At: v.CreatedAt.In(u.location()).Format("2006-01-02 15:04"), By: v.CreatedByName, Note: v.Note})
	}
	w.WriteHeader(status)
	h.render(w, r, "script_edit.html", map[string]any{"Page": "scripts", "Campaign": campaign, "Body": body,
		"Version": version, "History": versions, "Problem": problem, "Saved": r.URL.Query().Get("saved")})
}
