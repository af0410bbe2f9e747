package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// getTasks lists the dealer's open tasks as of a day, as `huifang queue list --json`
// prints them (queue.List): GET /api/v1/tasks?date=YYYY-MM-DD[&campaign=C].
func (s *Server) getTasks(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	day := s.today(c)
	if v := r.URL.Query().Get("date"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			s.fail(w, r, invalid("date", "date %q is not YYYY-MM-DD", v))
			return
		}
		day = d
	}
	campaign := r.URL.Query().Get("campaign")
	if campaign != "" && !queue.IsCampaign(campaign) {
		s.fail(w, r, invalid("campaign", "unknown campaign %q (one of %s)", campaign, strings.Join(queue.Campaigns(), ", ")))
		return
	}
	tasks, err := queue.List(r.Context(), s.db, queue.ListParams{DealerID: c.DealerID, Day: day, Campaign: campaign})
	if err != nil {
		s.fail(w, r, fmt.Errorf("tasks: %w", err))
		return
	}
	if tasks == nil {
		tasks = []queue.ListedTask{}
	}
	writeJSON(w, http.StatusOK, taskList{Date: day.Format(time.DateOnly), Tasks: tasks})
}

// taskList is the answer of GET /api/v1/tasks.
type taskList struct {
	Date  string             `json:"date"`
	Tasks []queue.ListedTask `json:"tasks"`
}

// complaintList is the answer of GET /api/v1/complaints.
type complaintList struct {
	Complaints []complaintOut `json:"complaints"`
	NextCursor *string        `json:"next_cursor"`
}

// complaintOut is a complaint as GET /api/v1/complaints shows it.
type complaintOut struct {
	ID          int64   `json:"id"`
	CustomerID  int64   `json:"customer_id"`
	Phone       string  `json:"phone"`
	Name        string  `json:"name"`
	VIN         string  `json:"vin"`
	OpenedOn    string  `json:"opened_on"`
	ClosedOn    *string `json:"closed_on"`
	Status      string  `json:"status"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	// State, Severity, Owner and the deadlines are the complaint's life (queue/complaints.go).
	State      string  `json:"state"`
	Severity   string  `json:"severity"`
	Owner      string  `json:"owner"`
	RespondDue *string `json:"respond_due"`
	ResolveDue *string `json:"resolve_due"`
}

// getComplaints lists the dealer's complaints by id: GET /api/v1/complaints[?status=open]
// [&since=YYYY-MM-DD][&cursor=C], at most 500 a page with next_cursor.
func (s *Server) getComplaints(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	q := r.URL.Query()
	since := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	if v := q.Get("since"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			s.fail(w, r, invalid("since", "since %q is not YYYY-MM-DD", v))
			return
		}
		since = d
	}
	status := q.Get("status")
	if status != "" && status != "open" && status != "closed" {
		s.fail(w, r, invalid("status", "status %q is not open or closed", status))
		return
	}
	var after int64
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, invalid("cursor", "cursor %q is not one this API gave", v))
			return
		}
		after = n
	}
	const page = 500
	rows, err := store.New(s.db).ListComplaintsAPI(r.Context(), store.ListComplaintsAPIParams{
		DealerID: c.DealerID, Status: status, Since: since, AfterID: after, MaxRows: page + 1})
	if err != nil {
		s.fail(w, r, fmt.Errorf("complaints: %w", err))
		return
	}
	out := make([]complaintOut, 0, len(rows))
	var next *string
	for i, k := range rows {
		if i == page {
			n := strconv.FormatInt(rows[i-1].ID, 10)
			next = &n
			break
		}
		out = append(out, complaintRow(k))
	}
	if err := s.complaintLife(r.Context(), out); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, complaintList{Complaints: out, NextCursor: next})
}

// complaintRow is a complaint as the API shows it, without its life (complaintLife).
func complaintRow(k store.ListComplaintsAPIRow) complaintOut {
	o := complaintOut{ID: k.ID, CustomerID: k.CustomerID, Phone: k.Phone, Name: k.Name, VIN: k.Vin,
		OpenedOn: k.OpenedOn.Format(time.DateOnly), Status: "open", Category: k.Category, Description: k.Description}
	if k.ClosedOn != nil {
		d := k.ClosedOn.Format(time.DateOnly)
		o.ClosedOn, o.Status = &d, "closed"
	}
	return o
}

// encodeCursor and decodeCursor carry a keyset position (a time and an id).
func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d:%d", at.UnixMicro(), id)))
}

func decodeCursor(s string) (time.Time, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, err
	}
	parts := strings.SplitN(string(b), ":", 2)
	if len(parts) != 2 {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	return time.UnixMicro(us), id, nil
}

// complaintLife adds each complaint's state, severity, owner and deadlines.
func (s *Server) complaintLife(ctx context.Context, out []complaintOut) error {
	if len(out) == 0 {
		return nil
	}
	ids := make([]int64, len(out))
	at := map[int64]int{}
	for i, o := range out {
		ids[i], at[o.ID] = o.ID, i
	}
	rows, err := s.db.Query(ctx, `SELECT k.id, k.status, k.severity,
		COALESCE((SELECT COALESCE(NULLIF(u.display_name, ''), u.username) FROM users u WHERE u.id = k.owner_user_id), ''),
		k.respond_due, k.resolve_due FROM complaints k WHERE k.id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("complaints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var state, severity, owner string
		var respond, resolve *time.Time
		if err := rows.Scan(&id, &state, &severity, &owner, &respond, &resolve); err != nil {
			return fmt.Errorf("complaints: %w", err)
		}
		o := &out[at[id]]
		o.State, o.Severity, o.Owner = state, severity, owner
		if respond != nil {
			v := respond.UTC().Format(time.RFC3339)
			o.RespondDue = &v
		}
		if resolve != nil {
			v := resolve.UTC().Format(time.RFC3339)
			o.ResolveDue = &v
		}
	}
	return rows.Err()
}
