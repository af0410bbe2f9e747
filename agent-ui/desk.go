package agentui

import (
	"errors"
	"net/http"
	"time"

	"github.com/huifang/huifang/queue"
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
	h.render(w, r, "desk.html", map[string]any{"Page": "desk", "W": deskWords(lang), "Days": out,
		"Print": r.FormValue("print") == "1", "Done": deskDone(lang, r.FormValue("done")), "Error": r.FormValue("error")})
}

// deskDone is the confirmation after a change.
func deskDone(lang, done string) string {
	switch done {
	case "arrived":
		return dsk(lang, "done_arrived")
	case "cancelled":
		return dsk(lang, "done_cancel")
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
