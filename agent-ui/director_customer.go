package agentui

import (
	"fmt"
	"net/http"
	"strconv"
)

// directorCustomerChanges is the director's view of what calls changed about a customer
// (customer=ID): the stated mileage, the car no longer owned, moved away, the prospect's
// status and intent level, and outcomes undone, newest first, with who and when (the
// customer card's changes). A customer of another dealer does not exist.
func (h *handler) directorCustomerChanges(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	id, err := strconv.ParseInt(r.FormValue("customer"), 10, 64)
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	c, err := h.loadCard(r.Context(), u, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r.Context(), u, "customer.open", "customer", id, map[string]any{"via": "changes"})
	tb := &table{Title: fmt.Sprintf("%s · %s（%s）", word(lang, "通话带来的资料变更", "Changes from calls"), c.Salutation, c.Name),
		Head: []string{word(lang, "时间", "at"), word(lang, "变更", "change"), word(lang, "原值", "from"), word(lang, "新值", "to"),
			word(lang, "车辆", "car"), word(lang, "操作人", "by")}}
	v := func(x any) string {
		if x == nil || x == "" {
			return "–"
		}
		if s, ok := x.(string); ok && lang != langEN {
			if w, ok := prospectWordsZH[s]; ok {
				return w
			}
		}
		return fmt.Sprint(x)
	}
	for _, ch := range c.Changes {
		what := t(lang, "chg."+ch.Field)
		if ch.Field == "undo" {
			what += " " + ch.Code
		}
		tb.add(txt(ch.At), txt(what), txt(v(ch.From)), txt(v(ch.To)), txt(ch.Plate), txt(ch.By))
	}
	h.renderTable(w, r, tb, "customer_changes_"+strconv.FormatInt(id, 10), nil)
}

// prospectWordsZH are the prospect statuses in Chinese.
var prospectWordsZH = map[string]string{"open": "意向", "key": "重点", "pre_lost": "准战败", "lost": "战败", "won": "成交"}
