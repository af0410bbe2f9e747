package agentui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
)

// deskDays are the desk's days: today and tomorrow in the dealer's zone, as the store's
// dates (00:00 UTC).
func (h *handler) deskDays(u *user) []time.Time {
	t := dateOnly(h.today(u))
	return []time.Time{t, t.AddDate(0, 0, 1)}
}

// deskLine is one appointment as the desk shows it.
type deskLine struct {
	ID       int64
	Time     string
	Customer string
	Phone    string
	Plate    string
	Kind     string
	Advisor  string
	Status   string
	Arrived  bool
	Booked   bool
}

// deskDay is one day's list.
type deskDay struct {
	Title string
	Day   string
	Lines []deskLine
	XLSX  string
}

// deskPage shows today's and tomorrow's appointments (GET /desk); ?format=xlsx&day=D
// exports one of the two days, ?print=1 is the page to print. Phones are masked on the
// page and full in the export, which is audited.
func (h *handler) deskPage(w http.ResponseWriter, r *http.Request) {
	h.renderDesk(w, r, http.StatusOK, nil, "")
}

// renderDesk renders the desk page (or its export) with the registration form's values and
// error, if any, under status.
func (h *handler) renderDesk(w http.ResponseWriter, r *http.Request, status int, form map[string]string, formErr string) {
	u := userFrom(r)
	lang := langFrom(r)
	days := h.deskDays(u)
	rows, err := store.New(h.deps.DB).DeskAppointments(r.Context(), store.DeskAppointmentsParams{DealerID: u.DealerID, Days: days})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc := u.location()
	if wantsXLSX(r) {
		day := r.FormValue("day")
		if day != days[0].Format(dayLayout) && day != days[1].Format(dayLayout) {
			h.fail(w, r, errUser(http.StatusBadRequest, "只能导出今天或明天的预约", "only today's or tomorrow's appointments can be exported"))
			return
		}
		tb := &table{Title: dsk(lang, "title") + " " + day, Head: []string{dsk(lang, "day"), dsk(lang, "time"), dsk(lang, "customer"),
			dsk(lang, "phone"), dsk(lang, "plate"), dsk(lang, "kind"), dsk(lang, "advisor"), dsk(lang, "status")}}
		n := 0
		for _, a := range rows {
			if a.Day.Format(dayLayout) != day {
				continue
			}
			n++
			l := deskLineOf(a, lang, loc, false)
			tb.add(txt(day), txt(l.Time), txt(l.Customer), txt(l.Phone), txt(l.Plate), txt(l.Kind), txt(l.Advisor), txt(l.Status))
		}
		h.audit(r.Context(), u, "export.appointments", "dealer", u.DealerID, map[string]any{"day": day, "rows": n})
		h.writeXLSX(w, r, tb, "appointments-"+day+".xlsx")
		return
	}
	out := []deskDay{{Title: dsk(lang, "today"), Day: days[0].Format(dayLayout)}, {Title: dsk(lang, "tomorrow"), Day: days[1].Format(dayLayout)}}
	for i := range out {
		out[i].XLSX = "/desk?format=xlsx&day=" + out[i].Day
	}
	for _, a := range rows {
		i := 0
		if a.Day.Equal(days[1]) {
			i = 1
		}
		out[i].Lines = append(out[i].Lines, deskLineOf(a, lang, loc, true))
	}
	if form == nil {
		form = map[string]string{"arrived_at": h.deps.Now().In(loc).Format("2006-01-02T15:04")}
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
	}
	h.render(w, r, "desk.html", map[string]any{"Page": "desk", "W": deskWords(lang), "Days": out,
		"Print": r.FormValue("print") == "1", "Done": deskDone(lang, r.FormValue("done")), "Form": form, "FormError": formErr,
		"Levels": []string{"", "H", "A", "B", "C"}})
}

// deskDone is the confirmation after a change.
func deskDone(lang, done string) string {
	switch done {
	case "arrived":
		return dsk(lang, "done_arrived")
	case "cancelled":
		return dsk(lang, "done_cancel")
	case "visit":
		return dsk(lang, "done_visit")
	}
	return ""
}

// deskLineOf turns an appointment row into the desk's line; masked hides the phone.
func deskLineOf(a store.DeskAppointmentsRow, lang string, loc *time.Location, masked bool) deskLine {
	l := deskLine{ID: a.ID, Time: a.At.In(loc).Format("15:04"), Customer: a.Name + a.Title, Phone: a.Phone,
		Plate: a.Plate, Kind: dsk(lang, a.Kind), Advisor: a.Advisor, Arrived: a.Arrived.Valid && a.Arrived.Bool,
		Booked: a.Status == "booked"}
	if masked {
		l.Phone = maskPhone(a.Phone)
	}
	l.Status = dsk(lang, a.Status)
	if l.Arrived {
		l.Status = dsk(lang, "arrived")
	}
	return l
}

func (h *handler) deskArrive(w http.ResponseWriter, r *http.Request) { h.deskMark(w, r, "arrived") }
func (h *handler) deskCancel(w http.ResponseWriter, r *http.Request) { h.deskMark(w, r, "cancelled") }

// deskMark marks an appointment of today or tomorrow arrived or cancelled.
func (h *handler) deskMark(w http.ResponseWriter, r *http.Request, status string) {
	u := userFrom(r)
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	err = queue.DeskMarkAppointment(r.Context(), h.deps.DB, queue.DeskMarkParams{DealerID: u.DealerID, ID: id, Status: status,
		Days: h.deskDays(u), UserID: u.ID, Now: h.deps.Now()})
	switch {
	case errors.Is(err, queue.ErrAppointmentNotFound):
		h.fail(w, r, errNotFound)
	case errors.Is(err, queue.ErrAppointmentNotBooked):
		h.fail(w, r, errUser(http.StatusConflict, "这个预约已到店、已取消或不是今明两天的，不能再改", "the appointment is not booked for today or tomorrow"))
	case err != nil:
		h.fail(w, r, err)
	default:
		http.Redirect(w, r, "/desk?done="+status, http.StatusSeeOther)
	}
}

// visitFieldZH names a showroom visit's field in Chinese, with what is expected.
var visitFieldZH = map[string]string{
	"phone":        "电话号码不对：请填 11 位手机号，或带区号的座机号",
	"arrived_at":   "到店时间不对：请填日期和时间",
	"left_at":      "离店时间不对：不能早于到店时间",
	"title":        "称呼只能是先生或女士",
	"intent_level": "意向级别只能是 H、A、B、C 或不填",
}

// deskVisit registers a showroom visitor (前台登记, POST /desk/visits) through the same
// functions as huifang visit and the API: queue.RecordShowroomVisit (the prospect, the
// visit, the same-day call through a rebuild) and notify.LeaveStoreSMSTx (the leave-store
// SMS once the leave time is known), in one transaction. Bad input names the field in the
// page, and nothing is stored.
func (h *handler) deskVisit(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	loc := u.location()
	form := map[string]string{}
	for _, k := range []string{"phone", "name", "title", "consultant", "arrived_at", "left_at", "intent_level", "note"} {
		form[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	refuse := func(field string) {
		h.renderDesk(w, r, http.StatusBadRequest, form, visitFieldZH[field])
	}
	parse := func(v string) (time.Time, bool) {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		return t, err == nil
	}
	arrived, ok := parse(form["arrived_at"])
	if !ok {
		refuse("arrived_at")
		return
	}
	var left *time.Time
	if form["left_at"] != "" {
		l, ok := parse(form["left_at"])
		if !ok {
			refuse("left_at")
			return
		}
		left = &l
	}
	switch form["intent_level"] {
	case "", "H", "A", "B", "C":
	default:
		refuse("intent_level")
		return
	}
	v := queue.ShowroomVisit{DealerID: u.DealerID, Phone: form["phone"], Name: trimTo(form["name"], 40), Title: form["title"],
		ArrivedAt: arrived, LeftAt: left, Consultant: trimTo(form["consultant"], 40), IntentLevel: form["intent_level"],
		Note: trimTo(form["note"], 500)}
	var visitID int64
	err := store.WithTx(r.Context(), h.deps.DB, func(tx pgx.Tx) error {
		res, err := queue.RecordShowroomVisit(r.Context(), tx, v)
		if err != nil {
			return err
		}
		visitID = res.VisitID
		_, err = notify.LeaveStoreSMSTx(r.Context(), tx, res)
		return err
	})
	var fe *queue.FieldError
	if errors.As(err, &fe) {
		refuse(fe.Field)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r.Context(), u, "showroom.visit", "showroom_visit", visitID, map[string]any{"source": "desk"})
	http.Redirect(w, r, "/desk?done=visit", http.StatusSeeOther)
}
