package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// complaintPatch is the body of PATCH /api/v1/complaints/{id}: one change of a complaint,
// as a director makes it on the complaint's page.
type complaintPatch struct {
	// Action is assign, respond, resolve, serious, reopen or note.
	Action string `json:"action"`
	// Owner is the username of the director or admin a complaint is assigned to.
	Owner string `json:"owner"`
	// Note is what was agreed (respond), how it was resolved (resolve), why (reopen), or
	// the note; required for those four.
	Note string `json:"note"`
}

// complaintActions are the actions of PATCH /api/v1/complaints/{id} (queue.ComplaintAction).
var complaintActions = map[string]bool{"assign": true, "respond": true, "resolve": true, "serious": true, "reopen": true, "note": true}

// patchComplaint changes a complaint through queue.ChangeComplaint, the function of the
// directors' complaint page, with the same checks (a resolution needs its note); the audit
// row and the timeline name the API key, the database triggers emit the webhooks
// (complaint.resolved). The answer is the complaint as GET /api/v1/complaints lists it.
func (s *Server) patchComplaint(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, errNotFound)
		return
	}
	var in complaintPatch
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if !complaintActions[in.Action] {
		s.fail(w, r, invalid("action", "action %q is not one of assign, respond, resolve, serious, reopen, note", in.Action))
		return
	}
	ctx := r.Context()
	a := queue.ComplaintAction{DealerID: c.DealerID, ComplaintID: id, APIKeyID: c.KeyID, Kind: in.Action, Note: in.Note, Now: s.cfg.Now()}
	if in.Action == "assign" {
		owner := strings.TrimSpace(in.Owner)
		if owner == "" {
			s.fail(w, r, invalid("owner", "owner (the username of a director or admin) is required to assign"))
			return
		}
		err := s.db.QueryRow(ctx, `SELECT id FROM users WHERE dealer_id = $1 AND username = $2`, c.DealerID, owner).Scan(&a.Owner)
		if errors.Is(err, pgx.ErrNoRows) {
			s.fail(w, r, invalid("owner", "no user of this dealer is called %q", owner))
			return
		}
		if err != nil {
			s.fail(w, r, fmt.Errorf("complaint %d owner: %w", id, err))
			return
		}
	} else if in.Owner != "" {
		s.fail(w, r, invalid("owner", "owner goes with the action assign only"))
		return
	}
	if err := queue.ChangeComplaint(ctx, s.db, a); err != nil {
		s.fail(w, r, complaintError(err))
		return
	}
	out, err := s.complaintByID(ctx, c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// complaintError turns the queue's refusals into API errors: a bad field is 400 naming
// it, a change the complaint's state does not allow 409, an unknown complaint 404.
func complaintError(err error) error {
	var ce *queue.ComplaintError
	switch {
	case errors.As(err, &ce) && ce.Field != "":
		return invalid(ce.Field, "%s", ce.Msg)
	case errors.As(err, &ce):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: ce.Msg}
	case errors.Is(err, queue.ErrComplaintNotFound):
		return errNotFound
	}
	return err
}

// complaintByID is one complaint of the caller's dealer as GET /api/v1/complaints lists it.
func (s *Server) complaintByID(ctx context.Context, c *caller, id int64) (complaintOut, error) {
	rows, err := store.New(s.db).ListComplaintsAPI(ctx, store.ListComplaintsAPIParams{DealerID: c.DealerID,
		Since: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), AfterID: id - 1, MaxRows: 1})
	if err != nil {
		return complaintOut{}, fmt.Errorf("complaint %d: %w", id, err)
	}
	if len(rows) == 0 || rows[0].ID != id {
		return complaintOut{}, errNotFound
	}
	out := []complaintOut{complaintRow(rows[0])}
	if err := s.complaintLife(ctx, out); err != nil {
		return complaintOut{}, err
	}
	return out[0], nil
}
