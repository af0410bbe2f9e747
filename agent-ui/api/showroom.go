package api

import (
	"context"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store/importer"
	phonenum "github.com/huifang/huifang/store/phone"
)

// showroomVisitIn is the body of POST /api/v1/showroom-visits.
type showroomVisitIn struct {
	ExternalID  string  `json:"external_id"`
	Phone       string  `json:"phone"`
	Name        string  `json:"name"`
	Title       string  `json:"title"`
	ArrivedAt   string  `json:"arrived_at"`
	LeftAt      *string `json:"left_at"`
	Consultant  string  `json:"consultant"`
	IntentLevel string  `json:"intent_level"`
}

// showroomVisitOut is the answer: the visit and what recording it did.
type showroomVisitOut struct {
	written
	// CustomerID and Day are set when this request wrote the visit (not on a repeat).
	CustomerID int64  `json:"customer_id,omitempty"`
	Day        string `json:"day,omitempty"`
	// SMSQueued is true when this request queued the leave-store care SMS.
	SMSQueued bool `json:"sms_queued"`
}

// postShowroomVisit records a showroom visit exactly as `huifang visit` does
// (queue.RecordShowroomVisit: the prospect, the visit and the same-day call through
// the outbox; notify.LeaveStoreSMSTx: the leave-store SMS, in the same transaction).
func (s *Server) postShowroomVisit(w http.ResponseWriter, r *http.Request) {
	var in showroomVisitIn
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.showroomVisit(r.Context(), callerFrom(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, out.status(), out)
}

func (s *Server) showroomVisit(ctx context.Context, c *caller, in showroomVisitIn) (showroomVisitOut, error) {
	out := showroomVisitOut{}
	phone, err := phonenum.Normalize(in.Phone)
	if err != nil {
		return out, invalid("phone", "phone %q: %v", in.Phone, err)
	}
	title, err := importer.Title(in.Title)
	if err != nil {
		return out, invalid("title", "title %q: %v", in.Title, err)
	}
	v := queue.ShowroomVisit{DealerID: c.DealerID, Phone: phone, Name: in.Name, Title: title,
		Consultant: in.Consultant, IntentLevel: in.IntentLevel}
	if in.ArrivedAt == "" {
		return out, invalid("arrived_at", "arrived_at is required (RFC 3339 or \"YYYY-MM-DD HH:MM\" in the dealer's zone)")
	}
	if v.ArrivedAt, err = parseInstant(in.ArrivedAt, c.Loc); err != nil {
		return out, invalid("arrived_at", "arrived_at %q: %v", in.ArrivedAt, err)
	}
	if in.LeftAt != nil && *in.LeftAt != "" {
		t, err := parseInstant(*in.LeftAt, c.Loc)
		if err != nil {
			return out, invalid("left_at", "left_at %q: %v", *in.LeftAt, err)
		}
		v.LeftAt = &t
	}
	out.written, err = s.single(ctx, c, "showroom_visit", in.ExternalID, in, false, func(tx pgx.Tx, existing int64) (int64, error) {
		v.ID = existing
		res, err := queue.RecordShowroomVisit(ctx, tx, v)
		if err != nil {
			return 0, fieldError(err)
		}
		sms, err := notify.LeaveStoreSMSTx(ctx, tx, res)
		if err != nil {
			return 0, err
		}
		out.CustomerID, out.Day, out.SMSQueued = res.CustomerID, res.Day.Format(time.DateOnly), sms.ID != 0
		return res.VisitID, nil
	})
	return out, err
}

// parseInstant reads a time as RFC 3339, or as the dealer's wall clock the way the
// import reads it ("2026-11-22 15:00").
func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return importer.ParseTime(s, loc)
}
