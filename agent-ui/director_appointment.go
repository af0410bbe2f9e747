package agentui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/queue"
)

// apptLine is one of the customer's booked appointments on the booking page.
type apptLine struct {
	ID              int64
	At, Kind, Whom  string
	Advisor, Status string
}

// apptVehicle is one of the customer's cars in the booking form.
type apptVehicle struct {
	ID    int64
	Label string
}

// apptFieldZH names a booking's field in Chinese, with what is expected.
var apptFieldZH = map[string]string{
	"at":      "预约时间不对：请填日期和时间",
	"past":    "预约时间已过：请选择以后的时间",
	"kind":    "请选择预约类型",
	"vehicle": "请选择这位客户的车辆",
	"advisor": "服务顾问最多 40 字",
}

// directorAppointment shows a customer's booking page (GET /director/customers/{id}/appointment):
// the customer's booked appointments from today, the workshop hours and the form to book
// one. A customer of another dealer does not exist.
func (h *handler) directorAppointment(w http.ResponseWriter, r *http.Request) {
	h.appointmentPage(w, r, http.StatusOK, nil, nil)
}

// appointmentPage renders the booking page; after a refused booking (status 400) the
// posted form is shown again with the field's error.
func (h *handler) appointmentPage(w http.ResponseWriter, r *http.Request, status int, form, errs map[string]string) {
	u := userFrom(r)
	lang := langFrom(r)
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	c, err := h.loadCard(ctx, u, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hours, err := queue.LoadWorkshopHours(ctx, h.q(), u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("booking page: %w", err))
		return
	}
	loc := u.location()
	rows, err := h.deps.DB.Query(ctx, `SELECT a.id, a.at, a.kind, a.advisor, COALESCE(v.plate, '')
		FROM appointments a LEFT JOIN vehicles v ON v.id = a.vehicle_id
		WHERE a.customer_id = $1 AND a.dealer_id = $2 AND a.status = 'booked' AND a.day >= $3::date ORDER BY a.at`,
		id, u.DealerID, h.today(u).Format(dayLayout))
	if err != nil {
		h.fail(w, r, fmt.Errorf("booking page: %w", err))
		return
	}
	var lines []apptLine
	for rows.Next() {
		var l apptLine
		var at time.Time
		if err := rows.Scan(&l.ID, &at, &l.Kind, &l.Advisor, &l.Whom); err != nil {
			rows.Close()
			h.fail(w, r, fmt.Errorf("booking page: %w", err))
			return
		}
		l.At, l.Kind = at.In(loc).Format("2006-01-02 15:04"), dsk(lang, l.Kind)
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		h.fail(w, r, fmt.Errorf("booking page: %w", err))
		return
	}
	vrows, err := h.deps.DB.Query(ctx, `SELECT id, concat_ws(' ', NULLIF(plate, ''), NULLIF(model, ''), vin) FROM vehicles
		WHERE customer_id = $1 AND dealer_id = $2 ORDER BY id`, id, u.DealerID)
	if err != nil {
		h.fail(w, r, fmt.Errorf("booking page: %w", err))
		return
	}
	var cars []apptVehicle
	for vrows.Next() {
		var v apptVehicle
		if err := vrows.Scan(&v.ID, &v.Label); err != nil {
			vrows.Close()
			h.fail(w, r, fmt.Errorf("booking page: %w", err))
			return
		}
		cars = append(cars, v)
	}
	vrows.Close()
	if form == nil {
		form = map[string]string{"kind": "maintenance"}
	}
	kinds := make([][2]string, 0, 5)
	for _, k := range queue.AppointmentKinds() {
		kinds = append(kinds, [2]string{k, dsk(lang, k)})
	}
	hoursText := hours.Chinese()
	if lang == langEN {
		hoursText = hours.String()
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
	}
	h.renderDirector(w, r, "director_appointment.html", map[string]any{"Customer": c, "Lines": lines, "Cars": cars,
		"Kinds": kinds, "Hours": hoursText, "Form": form, "Errors": errs, "Saved": r.FormValue("saved") != ""})
}

// directorAppointmentBook books an appointment for the customer (POST
// /director/customers/{id}/appointment) through queue.BookAppointment, the booking a call
// makes (workshop hours checked, the customer's other open bookings rescheduled), audited
// as the director. Bad input names the field in Chinese on the page, the form kept, and
// nothing is stored.
func (h *handler) directorAppointmentBook(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	form := map[string]string{}
	for _, k := range []string{"at", "kind", "advisor", "vehicle"} {
		form[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	refuse := func(field, msg string) {
		if msg == "" {
			msg = apptFieldZH[field]
		}
		if field == "past" {
			field = "at"
		}
		h.appointmentPage(w, r, http.StatusBadRequest, form, map[string]string{field: msg})
	}
	at, err := time.ParseInLocation("2006-01-02T15:04", form["at"], u.location())
	if err != nil {
		refuse("at", "")
		return
	}
	if len([]rune(form["advisor"])) > 40 {
		refuse("advisor", "")
		return
	}
	p := queue.BookParams{DealerID: u.DealerID, CustomerID: id, At: at, Kind: form["kind"], Advisor: form["advisor"],
		UserID: u.ID, Now: h.deps.Now()}
	if form["vehicle"] != "" {
		v, err := strconv.ParseInt(form["vehicle"], 10, 64)
		if err != nil {
			refuse("vehicle", "")
			return
		}
		p.VehicleID = &v
	}
	_, err = queue.BookAppointment(r.Context(), h.deps.DB, p)
	var he *queue.WorkshopHoursError
	var fe *queue.FieldError
	switch {
	case errors.As(err, &he):
		refuse("at", he.Chinese())
	case errors.Is(err, queue.ErrAppointmentPast):
		refuse("past", "")
	case errors.As(err, &fe):
		refuse(fe.Field, "")
	case errors.Is(err, queue.ErrNoCustomer) && p.VehicleID != nil:
		// The customer is checked by the page (loadCard); here the car is not theirs.
		if _, cerr := h.loadCard(r.Context(), u, id); cerr != nil {
			h.fail(w, r, cerr)
			return
		}
		refuse("vehicle", "")
	case errors.Is(err, queue.ErrNoCustomer):
		h.fail(w, r, errNotFound)
	case err != nil:
		h.fail(w, r, fmt.Errorf("director: book appointment: %w", err))
	default:
		http.Redirect(w, r, fmt.Sprintf("/director/customers/%d/appointment?saved=1", id), http.StatusSeeOther)
	}
}
