package agentui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/huifang/huifang/scripts"
)

// scriptSave stores a director's edit as the dealer's next version of the script. A
// script with problems is shown again, as typed, with each problem next to its field.
func (h *handler) scriptSave(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	campaign := r.PathValue("campaign")
	f := scriptFromForm(r, campaign)
	note := trimTo(r.PostForm.Get("note"), 200)
	s, err := h.deps.Scripts.Save(r.Context(), u.DealerID, campaign, f.script, note, u.ID)
	if errors.Is(err, scripts.ErrUnknownCampaign) {
		h.fail(w, r, errNotFound)
		return
	}
	var ps scripts.Problems
	if errors.As(err, &ps) {
		h.log.InfoContext(r.Context(), "script refused", "campaign", campaign, "user", u.Username, "err", err)
		h.showScriptEditor(w, r, f.script, f.problems(ps), note, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r.Context(), u, "script.save", "script", 0, map[string]any{"version": s.Version})
	http.Redirect(w, r, "/scripts/"+url.PathEscape(campaign)+"?saved="+url.QueryEscape(s.Version), http.StatusSeeOther)
}

// scriptPreview checks the editor's form without saving it and answers, as JSON, the
// problems found and the script rendered for a sample customer ("sample=partial": one
// without a vehicle or dates). The editor's page calls it as the director types.
func (h *handler) scriptPreview(w http.ResponseWriter, r *http.Request) {
	campaign := r.PathValue("campaign")
	if _, err := scripts.BuiltinSource(campaign); err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	f := scriptFromForm(r, campaign)
	out := struct {
		Problems scripts.Problems  `json:"problems"`
		Preview  *scripts.Rendered `json:"preview"`
	}{Problems: scripts.Problems{}}
	checked, err := scripts.Check(campaign, f.script)
	var ps scripts.Problems
	switch {
	case errors.As(err, &ps):
		out.Problems = f.problems(ps)
	case err != nil:
		h.fail(w, r, err)
		return
	default:
		v := scripts.SampleVars()
		if r.PostForm.Get("sample") == "partial" {
			v.Plate, v.Model, v.LastVisit, v.DueDay, v.Consultant = "", "", "", "", ""
		}
		if out.Preview, err = scripts.Render(v, checked); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}
