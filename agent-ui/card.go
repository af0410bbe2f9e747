package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/scripts"
	"github.com/huifang/huifang/store"
)

// card is the customer card the agent sees: never the full phone number of a customer
// for an agent.
type card struct {
	CustomerID int64          `json:"customer_id"`
	Name       string         `json:"name"`
	Title      string         `json:"title"`
	Salutation string         `json:"salutation"`
	Phone      string         `json:"phone"`
	PhoneValid bool           `json:"phone_valid"`
	Grade      string         `json:"grade"`
	Consultant string         `json:"consultant"`
	Prospect   string         `json:"prospect_status"`
	Vehicles   []cardVehicle  `json:"vehicles"`
	Visits     []cardVisit    `json:"visits"`
	Calls      []cardCall     `json:"calls"`
	Complaints []cardComplain `json:"complaints"`
	// Changes are what calls changed about the customer (mileage, car no longer owned,
	// moved away, prospect status and intent level, undos), newest first, at most 20.
	Changes []cardChange `json:"changes"`
}

// cardChange is one change a call's answers made to the customer (audit customer.writeback).
type cardChange struct {
	At    string `json:"at"`
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
	Plate string `json:"plate,omitempty"`
	Code  string `json:"code,omitempty"`
	By    string `json:"by"`
}

type cardVehicle struct {
	ID           int64  `json:"id"`
	Plate        string `json:"plate"`
	Brand        string `json:"brand"`
	Model        string `json:"model"`
	VIN          string `json:"vin"`
	Delivery     string `json:"delivery_day"`
	WarrantyEnd  string `json:"warranty_end"`
	InsuranceEnd string `json:"insurance_end"`
	Inspection   string `json:"inspection_due"`
	Active       bool   `json:"active"`
}

type cardVisit struct {
	Day     string `json:"day"`
	Kind    string `json:"kind"`
	Label   string `json:"label"`
	Plate   string `json:"plate"`
	Mileage *int32 `json:"mileage"`
	Advisor string `json:"advisor"`
}

type cardCall struct {
	At        string   `json:"at"`
	Code      string   `json:"code"`
	LabelZH   string   `json:"label_zh"`
	LabelEN   string   `json:"label_en"`
	Agent     string   `json:"agent"`
	Notes     string   `json:"notes"`
	Campaigns []string `json:"campaigns"`
}

// cardComplain is a complaint as the card tells it (issue 17 item 7): what it was, who
// handles it, how it was answered and resolved; category is the code, named by the
// console with the same words as the outcome form (cc.<code>).
type cardComplain struct {
	ID          int64  `json:"id"`
	OpenedOn    string `json:"opened_on"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Serious     bool   `json:"serious"`
	Owner       string `json:"owner"`
	Response    string `json:"response"`
	Resolution  string `json:"resolution"`
	ResolvedAt  string `json:"resolved_at"`
}

// maskPhone keeps the first three and last four digits: 139****0001.
func maskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 7 {
		if len(r) <= 2 {
			return strings.Repeat("*", len(r))
		}
		return string(r[:1]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1:])
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// loadCard reads a customer of the user's dealer (and only of that dealer) for display,
// in one query. Agents get the phone masked.
func (h *handler) loadCard(ctx context.Context, u *user, customerID int64) (*card, error) {
	raw, err := h.q().GetCustomerCard(ctx, store.GetCustomerCardParams{ID: customerID, DealerID: u.DealerID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load customer %d: %w", customerID, err)
	}
	out := &card{}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("decode customer %d: %w", customerID, err)
	}
	out.Salutation = scripts.Salute(out.Name, out.Title)
	if err := h.loadCardExtras(ctx, u, out); err != nil {
		return nil, fmt.Errorf("load customer %d: %w", customerID, err)
	}
	if out.Complaints, err = h.cardComplaints(ctx, u, customerID); err != nil {
		return nil, err
	}
	if u.Role == roleAgent {
		out.Phone = maskPhone(out.Phone)
	}
	return out, nil
}

// audit records who opened which customer.
func (h *handler) audit(ctx context.Context, u *user, action, subjectType string, subjectID int64, detail map[string]any) {
	b, _ := json.Marshal(detail)
	if b == nil {
		b = []byte(`{}`)
	}
	err := h.q().InsertAudit(ctx, store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID, Action: action,
		SubjectType: subjectType, SubjectID: &subjectID, Detail: b})
	if err != nil {
		h.log.Error("audit", "action", action, "err", err)
	}
}

// prepareTask loads what the agent sees for a task just taken: the card, the reasons and
// the merged script, and records that the agent opened the customer.
func (h *handler) prepareTask(ctx context.Context, u *user, t *Task) (*liveTask, error) {
	c, err := h.loadCard(ctx, u, t.CustomerID)
	if err != nil {
		return nil, err
	}
	if u.Role == roleAgent || t.Phone == "" {
		c.Phone = maskPhone(c.Phone)
	}
	vars := scripts.Vars{Name: c.Name, Title: c.Title, Salutation: c.Salutation, Dealer: u.DealerName, Agent: u.Name(), Consultant: c.Consultant}
	for _, v := range c.Vehicles {
		if v.Active {
			vars.Plate, vars.Model = v.Plate, strings.TrimSpace(v.Brand+" "+v.Model)
			break
		}
	}
	if len(c.Visits) > 0 {
		vars.LastVisit = chineseDay(c.Visits[0].Day)
	} else if len(c.Vehicles) > 0 && c.Vehicles[0].Delivery != "" {
		vars.LastVisit = chineseDay(c.Vehicles[0].Delivery)
	}
	vars.DueDay = h.dueDay(ctx, u.DealerID, t.ID)
	parts, err := h.deps.Scripts.ForTask(ctx, u.DealerID, t.Campaigns)
	if err != nil {
		return nil, err
	}
	r, err := scripts.Render(vars, parts...)
	if err != nil {
		return nil, err
	}
	reasons := t.Reasons
	if len(reasons) == 0 {
		reasons = t.Campaigns
	}
	t.Reasons = reasons
	h.audit(ctx, u, "customer.open", "customer", t.CustomerID, map[string]any{"task_id": t.ID, "via": "queue"})
	return &liveTask{Task: *t, card: c, script: r, takenAt: h.deps.Now()}, nil
}

// dueDay finds the day the reminded event falls due in the facts of the task's first
// reason (a fact whose name mentions due, end or day), formatted in Chinese.
func (h *handler) dueDay(ctx context.Context, dealerID, taskID int64) string {
	rs, err := h.q().ListTaskReasons(ctx, store.ListTaskReasonsParams{TaskID: taskID, DealerID: dealerID})
	if err != nil || len(rs) == 0 {
		return ""
	}
	var facts map[string]any
	if json.Unmarshal(rs[0].Facts, &facts) != nil {
		return ""
	}
	for _, key := range []string{"due_day", "due", "end_day", "policy_end", "warranty_end", "insurance_end", "inspection_due"} {
		if s, ok := facts[key].(string); ok {
			if d := chineseDay(s); d != "" {
				return d
			}
		}
	}
	return ""
}

// chineseDay turns 2026-05-03 into 2026年5月3日.
func chineseDay(s string) string {
	if len(s) < 10 {
		return ""
	}
	d, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

// customerCard returns a customer's card as JSON. A customer of another dealer does not
// exist for the user; an agent opens only the customers of their own tasks (the task on
// their screen, a callback pinned to them, a customer they called). Every opening is
// audited.
func (h *handler) customerCard(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	ctx := r.Context()
	c, err := h.loadCard(ctx, u, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if u.Role == roleAgent {
		own, err := h.q().AgentHasCustomer(ctx, store.AgentHasCustomerParams{CustomerID: id, DealerID: u.DealerID, AgentUserID: u.ID})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !own {
			h.fail(w, r, errForbidden)
			return
		}
	}
	h.audit(ctx, u, "customer.open", "customer", id, map[string]any{"via": "card"})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(c)
}

// loadCardExtras adds to the card the vehicles' ids (the wrap-up form names the car a
// mileage or "no longer owns the car" is about) and what calls changed about the customer.
func (h *handler) loadCardExtras(ctx context.Context, u *user, c *card) error {
	rows, err := h.deps.DB.Query(ctx, `SELECT id, vin FROM vehicles WHERE customer_id = $1 AND dealer_id = $2`, c.CustomerID, u.DealerID)
	if err != nil {
		return fmt.Errorf("vehicle ids: %w", err)
	}
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var vin string
		if err := rows.Scan(&id, &vin); err != nil {
			rows.Close()
			return fmt.Errorf("vehicle ids: %w", err)
		}
		ids[vin] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("vehicle ids: %w", err)
	}
	for i := range c.Vehicles {
		c.Vehicles[i].ID = ids[c.Vehicles[i].VIN]
	}
	rows, err = h.deps.DB.Query(ctx, `SELECT to_char(a.at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'), a.detail,
			coalesce(nullif(us.display_name, ''), us.username, '')
		FROM audit_log a
		JOIN dealers d ON d.id = a.dealer_id
		LEFT JOIN users us ON us.id = a.user_id
		WHERE a.subject_type = 'customer' AND a.action = 'customer.writeback' AND a.subject_id = $1 AND a.dealer_id = $2
		ORDER BY a.at DESC, a.id DESC LIMIT 20`, c.CustomerID, u.DealerID)
	if err != nil {
		return fmt.Errorf("customer changes: %w", err)
	}
	defer rows.Close()
	c.Changes = []cardChange{}
	for rows.Next() {
		var ch cardChange
		var detail []byte
		if err := rows.Scan(&ch.At, &detail, &ch.By); err != nil {
			return fmt.Errorf("customer changes: %w", err)
		}
		var d struct {
			Field string `json:"field"`
			From  any    `json:"from"`
			To    any    `json:"to"`
			Plate string `json:"plate"`
			Code  string `json:"code"`
		}
		if err := json.Unmarshal(detail, &d); err != nil {
			return fmt.Errorf("customer changes: %w", err)
		}
		ch.Field, ch.From, ch.To, ch.Plate, ch.Code = d.Field, d.From, d.To, d.Plate, d.Code
		c.Changes = append(c.Changes, ch)
	}
	return rows.Err()
}

// cardComplaints are the customer's complaints still being handled or closed in the last
// 90 days, newest first: the story the agent needs before a complaint follow-up.
func (h *handler) cardComplaints(ctx context.Context, u *user, customerID int64) ([]cardComplain, error) {
	now := h.deps.Now()
	items, err := queue.ListComplaints(ctx, h.deps.DB, queue.ComplaintFilter{DealerID: u.DealerID, CustomerID: customerID, Now: now, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("customer %d complaints: %w", customerID, err)
	}
	out := []cardComplain{}
	for _, k := range items {
		if k.ClosedAt != nil && now.Sub(*k.ClosedAt) > 90*24*time.Hour {
			continue
		}
		c := cardComplain{ID: k.ID, OpenedOn: k.OpenedOn.Format(time.DateOnly), Category: k.Category, Description: k.Description,
			Status: k.Status, Serious: k.Severity == queue.SeveritySerious, Owner: k.Owner, Response: k.ResponseNote, Resolution: k.ResolutionNote}
		if k.ResolvedAt != nil {
			c.ResolvedAt = k.ResolvedAt.In(u.location()).Format("2006-01-02 15:04")
		}
		out = append(out, c)
	}
	return out, nil
}
