package agentui

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/huifang/huifang/store"
)

// dailyKinds are the daily check's columns, in order; each opens its list.
var dailyKinds = []string{"due", "called", "reached", "booked", "unreachable", "not_called", "no_outcome"}

// dailyFixed are the categories the daily check always shows (the director's
// daily check: the maintenance, lapsed, warranty and recall calls), even when nothing is due; other campaigns follow when they have tasks.
var dailyFixed = []string{"same_day_visit", "care_15day", "first_maintenance", "maintenance_2", "maintenance_3", "maintenance",
	"lapsed_3m", "lapsed_6m", "lapsed_12m", "lapsed_24m", "warranty", "recall"}

// dailyCategory is a daily-check row key: the campaign, with maintenance split into
// 二保, 三保 and 定保 by the maintenance number.
func dailyCategory(campaign, number string) string {
	if campaign != "maintenance" {
		return campaign
	}
	switch number {
	case "2":
		return "maintenance_2"
	case "3":
		return "maintenance_3"
	}
	return "maintenance"
}

// categoryName is a daily-check category's name in lang.
func categoryName(lang, cat string) string {
	switch cat {
	case "maintenance_2":
		return map[bool]string{true: "2nd maintenance", false: "二保"}[lang == langEN]
	case "maintenance_3":
		return map[bool]string{true: "3rd maintenance", false: "三保"}[lang == langEN]
	}
	return t(lang, "c."+cat)
}

// inKind reports whether a task of the day counts under kind.
func inKind(x store.DirectorDayTasksRow, kind string) bool {
	switch kind {
	case "due":
		return true
	case "called":
		return x.Calls > 0
	case "reached":
		return x.Reached
	case "booked":
		return x.Booked
	case "unreachable":
		return x.Unreachable
	case "not_called":
		return x.Calls == 0 && x.Status == "open"
	case "no_outcome":
		return x.Calls > 0 && x.Outcomes == 0
	}
	return false
}

// dailyCounts sums the day's tasks per category and kind.
func dailyCounts(rows []store.DirectorDayTasksRow) (order []string, counts map[string]map[string]int64) {
	counts = map[string]map[string]int64{}
	for _, x := range rows {
		cat := dailyCategory(x.Campaign, x.Label)
		if counts[cat] == nil {
			counts[cat] = map[string]int64{}
			order = append(order, cat)
		}
		for _, k := range dailyKinds {
			if inKind(x, k) {
				counts[cat][k]++
			}
		}
	}
	return order, counts
}

// dayTasks loads the day's tasks of the user's dealer (day from the form, today by default).
func (h *handler) dayTasks(r *http.Request) ([]store.DirectorDayTasksRow, dayRange, error) {
	u := userFrom(r)
	day, err := parseDay(r.FormValue("day"), u.location(), h.today(u))
	if err != nil {
		return nil, dayRange{}, err
	}
	rg := dayRange{From: day, To: day}
	from, to := rg.fromAt(), rg.toAt()
	rows, err := h.q().DirectorDayTasks(r.Context(), store.DirectorDayTasksParams{FromAt: &from, ToAt: &to, DealerID: u.DealerID, Day: dateOnly(day)})
	if err != nil {
		return nil, rg, fmt.Errorf("director: day tasks: %w", err)
	}
	return rows, rg, nil
}

// directorDaily is the director's daily check: per category, the tasks due that day,
// called, reached, booked, unreachable, not called yet and called without an outcome;
// and the leave-store SMS against the showroom visits. Every figure opens its list.
func (h *handler) directorDaily(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	rows, rg, err := h.dayTasks(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	day := rg.From.Format(dayLayout)
	found, counts := dailyCounts(rows)
	order := append([]string{}, dailyFixed...)
	for _, c := range found {
		if !slices.Contains(order, c) {
			order = append(order, c)
		}
	}
	tb := &table{Title: dword(lang, "nav_daily") + " " + day, Head: []string{dword(lang, "campaign")}}
	for _, k := range dailyKinds {
		tb.Head = append(tb.Head, dword(lang, k))
	}
	totals := map[string]int64{}
	for _, cat := range order {
		line := []cell{txt(categoryName(lang, cat))}
		for _, k := range dailyKinds {
			n := counts[cat][k]
			totals[k] += n
			line = append(line, numLink(n, "/director/daily/list?day="+day+"&category="+cat+"&kind="+k))
		}
		tb.add(line...)
	}
	line := []cell{txt("Σ")}
	for _, k := range dailyKinds {
		line = append(line, numLink(totals[k], "/director/daily/list?day="+day+"&kind="+k))
	}
	tb.add(line...)
	if wantsXLSX(r) {
		h.writeXLSX(w, r, tb, "daily_check_"+rg.From.Format("20060102"))
		return
	}
	from, to := rg.fromAt(), rg.toAt()
	visits, err := h.q().DirectorLeaveStoreSMS(r.Context(), store.DirectorLeaveStoreSMSParams{DealerID: u.DealerID, FromAt: from, ToAt: to})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var sent int64
	for _, v := range visits {
		if v.SmsStatus == "sent" || v.SmsStatus == "delivered" {
			sent++
		}
	}
	thanks, err := h.q().DirectorThankYouSMS(r.Context(), store.DirectorThankYouSMSParams{DealerID: u.DealerID, Day: dateOnly(rg.From)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var thanked int64
	for _, v := range thanks {
		if v.SmsStatus == "sent" || v.SmsStatus == "delivered" {
			thanked++
		}
	}
	h.renderDirector(w, r, "director_daily.html", map[string]any{"Table": tb, "XLSX": xlsxURL(r), "Day": day,
		"Visits": len(visits), "SMSSent": sent, "SMSLink": "/director/daily/sms?day=" + day,
		"Workshop": len(thanks), "ThanksSent": thanked, "ThanksLink": "/director/daily/thanks?day=" + day})
}

// directorDailyList is the list behind one daily-check figure.
func (h *handler) directorDailyList(w http.ResponseWriter, r *http.Request) {
	lang := langFrom(r)
	rows, rg, err := h.dayTasks(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kind, cat := r.FormValue("kind"), r.FormValue("category")
	known := false
	for _, k := range dailyKinds {
		known = known || k == kind
	}
	if !known {
		h.fail(w, r, errUser(http.StatusBadRequest, fmt.Sprintf("没有 %q 这种清单", kind), fmt.Sprintf("unknown kind %q", kind)))
		return
	}
	title := dword(lang, kind) + " · " + rg.From.Format(dayLayout)
	if cat != "" {
		title = categoryName(lang, cat) + " · " + title
	}
	tb := &table{Title: title, Head: []string{dword(lang, "campaign"), dword(lang, "customer"), dword(lang, "phone"), dword(lang, "status"),
		dword(lang, "calls"), dword(lang, "reached"), dword(lang, "booked")}}
	yes := func(b bool) cell {
		if b {
			return txt("✓")
		}
		return txt("")
	}
	for _, x := range rows {
		c := dailyCategory(x.Campaign, x.Label)
		if (cat != "" && c != cat) || !inKind(x, kind) {
			continue
		}
		tb.add(txt(categoryName(lang, c)), link(x.CustomerName+x.CustomerTitle, h.customerHref(r, x.CustomerName)),
			txt(maskPhone(x.Phone)), txt(x.Status), num(int64(x.Calls)), yes(x.Reached), yes(x.Booked))
	}
	h.renderTable(w, r, tb, "daily_"+kind+"_"+rg.From.Format("20060102"), nil)
}

// directorDailySMS lists the day's showroom visits with their leave-store care SMS.
func (h *handler) directorDailySMS(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	day, err := parseDay(r.FormValue("day"), u.location(), h.today(u))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rg := dayRange{From: day, To: day}
	rows, err := h.q().DirectorLeaveStoreSMS(r.Context(), store.DirectorLeaveStoreSMSParams{DealerID: u.DealerID, FromAt: rg.fromAt(), ToAt: rg.toAt()})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := u.location()
	tb := &table{Title: dword(lang, "visits") + " · " + day.Format(dayLayout), Head: []string{dword(lang, "arrived"), dword(lang, "left"),
		dword(lang, "customer"), dword(lang, "consultant"), dword(lang, "sms_status"), dword(lang, "time")}}
	for _, v := range rows {
		left, sent := "", ""
		if v.LeftAt != nil {
			left = v.LeftAt.In(loc).Format("15:04")
		}
		if v.SentAt != nil {
			sent = v.SentAt.In(loc).Format("15:04")
		}
		st := v.SmsStatus
		if st == "" {
			st = "–"
		}
		tb.add(txt(v.ArrivedAt.In(loc).Format("15:04")), txt(left), txt(v.CustomerName+v.CustomerTitle), txt(v.Consultant), txt(st), txt(sent))
	}
	h.renderTable(w, r, tb, "leave_store_sms_"+day.Format("20060102"), nil)
}

// directorDailyThanks lists the day's workshop-visit customers with their thank-you SMS.
func (h *handler) directorDailyThanks(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	lang := langFrom(r)
	day, err := parseDay(r.FormValue("day"), u.location(), h.today(u))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := h.q().DirectorThankYouSMS(r.Context(), store.DirectorThankYouSMSParams{DealerID: u.DealerID, Day: dateOnly(day)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := u.location()
	tb := &table{Title: dword(lang, "workshop_visits") + " · " + day.Format(dayLayout), Head: []string{dword(lang, "customer"),
		dword(lang, "work_type"), dword(lang, "sms_status"), dword(lang, "time")}}
	for _, v := range rows {
		sent, st := "", v.SmsStatus
		if v.SentAt != nil {
			sent = v.SentAt.In(loc).Format("15:04")
		}
		if st == "" {
			st = "–"
		}
		tb.add(txt(v.CustomerName+v.CustomerTitle), txt(v.Labels), txt(st), txt(sent))
	}
	h.renderTable(w, r, tb, "thank_you_sms_"+day.Format("20060102"), nil)
}
