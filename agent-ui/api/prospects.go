package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
	phonenum "github.com/huifang/huifang/store/phone"
)

// prospectIn is the body of POST /api/v1/prospects: a prospect's status and intent level
// as the DMS changes them.
type prospectIn struct {
	ExternalID  string `json:"external_id"`
	Phone       string `json:"phone"`
	Name        string `json:"name"`
	Title       string `json:"title"`
	Consultant  string `json:"consultant"`
	Status      string `json:"status"`
	IntentLevel string `json:"intent_level"`
	LostReason  string `json:"lost_reason"`
	Day         string `json:"day"`
}

func (s *Server) postProspect(w http.ResponseWriter, r *http.Request) {
	var in prospectIn
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.prospect(r.Context(), callerFrom(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, out.status(), out)
}

// prospect creates or changes a prospect with the import's status words and rules (the
// status from 状态, or from the intent level when there is none); day is the day of the
// change, today by default.
func (s *Server) prospect(ctx context.Context, c *caller, in prospectIn) (written, error) {
	phone, err := phonenum.Normalize(in.Phone)
	if err != nil {
		return written{}, invalid("phone", "phone %q: %v", in.Phone, err)
	}
	status, err := importer.ProspectStatus(in.Status, in.IntentLevel)
	if err != nil {
		return written{}, invalid("status", "status %q: %v", in.Status, err)
	}
	title, err := importer.Title(in.Title)
	if err != nil {
		return written{}, invalid("title", "title %q: %v", in.Title, err)
	}
	day := s.today(c)
	if in.Day != "" {
		if day, err = importer.ParseDay(in.Day); err != nil {
			return written{}, invalid("day", "day %q: %v", in.Day, err)
		}
	}
	return s.single(ctx, c, "prospect", in.ExternalID, in, true, func(tx pgx.Tx, existing int64) (int64, error) {
		q := store.New(tx)
		// The change is dated by its day in the prospect's history (migration 0170), so a
		// day in the past counts as of that day.
		if _, err := tx.Exec(ctx, `SELECT set_config('huifang.fact_day', $1, true), set_config('huifang.fact_source', 'api', true)`,
			day.Format(time.DateOnly)); err != nil {
			return 0, fmt.Errorf("prospect: %w", err)
		}
		if existing != 0 {
			if _, err := q.RekeyCustomerPhone(ctx, store.RekeyCustomerPhoneParams{Phone: phone, ID: existing, DealerID: c.DealerID}); err != nil {
				return 0, fmt.Errorf("prospect %d: %w", existing, err)
			}
		}
		id, err := q.UpsertProspect(ctx, store.UpsertProspectParams{DealerID: c.DealerID, Name: in.Name, Title: title, Phone: phone,
			Consultant: in.Consultant, Status: status, Day: &day, LostReason: in.LostReason, IntentLevel: in.IntentLevel})
		if err != nil {
			return 0, fmt.Errorf("prospect: %w", err)
		}
		return id, nil
	})
}
