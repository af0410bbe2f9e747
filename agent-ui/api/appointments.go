package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	phonenum "github.com/huifang/huifang/store/phone"
)

// appointmentKinds are the kinds of appointment (预约).
var appointmentKinds = map[string]bool{"maintenance": true, "repair": true, "inspection": true, "test_drive": true, "other": true}

// appointmentIn is the body of POST /api/v1/appointments.
type appointmentIn struct {
	ExternalID string `json:"external_id"`
	Phone      string `json:"phone"`
	VIN        string `json:"vin"`
	At         string `json:"at"`
	Kind       string `json:"kind"`
	Advisor    string `json:"advisor"`
}

// appointmentOut is an appointment as the API shows it.
type appointmentOut struct {
	ID         int64   `json:"id"`
	CustomerID int64   `json:"customer_id"`
	Phone      string  `json:"phone"`
	Name       string  `json:"name"`
	VIN        string  `json:"vin"`
	At         string  `json:"at"`
	Day        string  `json:"day"`
	Kind       string  `json:"kind"`
	Advisor    string  `json:"advisor"`
	Status     string  `json:"status"`
	StatusAt   *string `json:"status_at"`
	Source     string  `json:"source"`
}

func (s *Server) postAppointment(w http.ResponseWriter, r *http.Request) {
	var in appointmentIn
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.appointment(r.Context(), callerFrom(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, out.status(), out)
}

// appointmentWritten is the answer to POST /api/v1/appointments.
type appointmentWritten struct {
	written
	Day string `json:"day,omitempty"`
}

// appointment books (or, for a known external_id, changes) an appointment. Past days are
// accepted, so history can be loaded.
func (s *Server) appointment(ctx context.Context, c *caller, in appointmentIn) (appointmentWritten, error) {
	out := appointmentWritten{}
	phone, err := phonenum.Normalize(in.Phone)
	if err != nil {
		return out, invalid("phone", "phone %q: %v", in.Phone, err)
	}
	if in.At == "" {
		return out, invalid("at", "at is required (RFC 3339 or \"YYYY-MM-DD HH:MM\" in the dealer's zone)")
	}
	at, err := parseInstant(in.At, c.Loc)
	if err != nil {
		return out, invalid("at", "at %q: %v", in.At, err)
	}
	if at.After(s.cfg.Now()) {
		// A booking is checked against the dealer's workshop hours; history (past days)
		// is loaded as it was.
		if err := queue.CheckAppointmentTime(ctx, store.New(s.db), c.DealerID, "at", at); err != nil {
			var he *queue.WorkshopHoursError
			if errors.As(err, &he) {
				return out, invalid("at", "at %s is outside the dealer's workshop hours (%s)", in.At, he.Hours)
			}
			return out, fmt.Errorf("appointment: %w", err)
		}
	}
	if !appointmentKinds[in.Kind] {
		return out, invalid("kind", "kind %q is not one of maintenance, repair, inspection, test_drive, other", in.Kind)
	}
	vin := ""
	if in.VIN != "" {
		vin = importer.NormalizeVIN(in.VIN)
		if err := importer.CheckVIN(vin); err != nil {
			return out, invalid("vin", "vin %q: %v", in.VIN, err)
		}
	}
	day := dayOf(at, c.Loc)
	out.Day = day.Format(time.DateOnly)
	out.written, err = s.single(ctx, c, "appointment", in.ExternalID, in, true, func(tx pgx.Tx, existing int64) (int64, error) {
		q := store.New(tx)
		cust, err := q.CustomerIDByPhone(ctx, store.CustomerIDByPhoneParams{DealerID: c.DealerID, Phone: phone})
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, invalid("phone", "no customer of this dealer has the phone %s (send the customer or the showroom visit first)", phone)
		}
		if err != nil {
			return 0, fmt.Errorf("appointment: customer: %w", err)
		}
		var vehicle *int64
		if vin != "" {
			v, err := q.VehicleByVIN(ctx, store.VehicleByVINParams{DealerID: c.DealerID, Vin: vin})
			if errors.Is(err, pgx.ErrNoRows) {
				return 0, invalid("vin", "no vehicle of this dealer has the VIN %s", vin)
			}
			if err != nil {
				return 0, fmt.Errorf("appointment: vehicle: %w", err)
			}
			vehicle = &v.ID
		}
		if existing != 0 {
			err := q.UpdateAppointment(ctx, store.UpdateAppointmentParams{CustomerID: cust, VehicleID: vehicle, At: at, Day: day,
				Kind: in.Kind, Advisor: in.Advisor, ID: existing, DealerID: c.DealerID})
			if err != nil {
				return 0, fmt.Errorf("appointment %d: %w", existing, err)
			}
			return existing, nil
		}
		id, err := q.InsertAppointment(ctx, store.InsertAppointmentParams{DealerID: c.DealerID, CustomerID: cust, VehicleID: vehicle,
			At: at, Day: day, Kind: in.Kind, Advisor: in.Advisor, Source: "api"})
		if err != nil {
			return 0, fmt.Errorf("appointment: %w", err)
		}
		return id, nil
	})
	return out, err
}

// appointmentList is the answer of GET /api/v1/appointments.
type appointmentList struct {
	Day          string           `json:"day"`
	Appointments []appointmentOut `json:"appointments"`
}

// appointmentPatch is the body of PATCH /api/v1/appointments/{id}.
type appointmentPatch struct {
	Status string `json:"status"`
}

// patchAppointment marks an appointment arrived or cancelled.
func (s *Server) patchAppointment(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, errNotFound)
		return
	}
	var in appointmentPatch
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Status != "arrived" && in.Status != "cancelled" {
		s.fail(w, r, invalid("status", "status %q is not arrived or cancelled", in.Status))
		return
	}
	ctx := r.Context()
	var out appointmentOut
	err = store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := store.New(tx)
		if _, err := q.GetAppointment(ctx, store.GetAppointmentParams{ID: id, DealerID: c.DealerID}); errors.Is(err, pgx.ErrNoRows) {
			return errNotFound
		} else if err != nil {
			return fmt.Errorf("appointment %d: %w", id, err)
		}
		now := s.cfg.Now()
		n, err := q.SetAppointmentStatus(ctx, store.SetAppointmentStatusParams{Status: in.Status, Now: &now, ID: id, DealerID: c.DealerID})
		if err != nil {
			return fmt.Errorf("appointment %d: %w", id, err)
		}
		if n > 0 {
			if err := s.requestBuild(ctx, tx, c); err != nil {
				return err
			}
		}
		a, err := q.GetAppointment(ctx, store.GetAppointmentParams{ID: id, DealerID: c.DealerID})
		if err != nil {
			return fmt.Errorf("appointment %d: %w", id, err)
		}
		out = appointmentRow(store.ListAppointmentsByDayRow(a), c.Loc)
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// getAppointments lists the appointments of a day: GET /api/v1/appointments?day=YYYY-MM-DD.
func (s *Server) getAppointments(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	day := s.today(c)
	if v := r.URL.Query().Get("day"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			s.fail(w, r, invalid("day", "day %q is not YYYY-MM-DD", v))
			return
		}
		day = d
	}
	rows, err := store.New(s.db).ListAppointmentsByDay(r.Context(), store.ListAppointmentsByDayParams{DealerID: c.DealerID, Day: day})
	if err != nil {
		s.fail(w, r, fmt.Errorf("appointments: %w", err))
		return
	}
	out := make([]appointmentOut, 0, len(rows))
	for _, a := range rows {
		out = append(out, appointmentRow(a, c.Loc))
	}
	writeJSON(w, http.StatusOK, appointmentList{Day: day.Format(time.DateOnly), Appointments: out})
}

func appointmentRow(a store.ListAppointmentsByDayRow, loc *time.Location) appointmentOut {
	o := appointmentOut{ID: a.ID, CustomerID: a.CustomerID, Phone: a.Phone, Name: a.Name, VIN: a.Vin,
		At: a.At.In(loc).Format(time.RFC3339), Day: a.Day.Format(time.DateOnly), Kind: a.Kind, Advisor: a.Advisor,
		Status: a.Status, Source: a.Source}
	if a.StatusAt != nil {
		t := a.StatusAt.In(loc).Format(time.RFC3339)
		o.StatusAt = &t
	}
	return o
}

// dayOf is the calendar day of t in loc, as 00:00 UTC (the store's convention for days).
func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
