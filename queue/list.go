package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// ListParams says whose queue to list, as of which day, and optionally for one campaign.
type ListParams struct {
	// DealerID is the dealer.
	DealerID int64
	// Day is the calendar day in the dealer's zone, as a time.Time at 00:00 UTC.
	Day time.Time
	// Campaign, when not empty, keeps only tasks that carry this campaign.
	Campaign string
}

// ListedTask is one customer's task as of a day, merged from the reasons active that day.
type ListedTask struct {
	// TaskID is the task the reasons belong to (the newest when several).
	TaskID int64 `json:"task_id"`
	// CustomerID is the customer.
	CustomerID int64 `json:"customer_id"`
	// Customer is the customer's name.
	Customer string `json:"customer"`
	// Title is 先生, 女士 or empty.
	Title string `json:"title,omitempty"`
	// Phone is the number to call.
	Phone string `json:"phone"`
	// Campaigns are the campaign codes of the reasons, the highest priority first.
	Campaigns []string `json:"campaigns"`
	// Priority is the highest priority of the reasons.
	Priority int `json:"priority"`
	// Due is the earliest due day, YYYY-MM-DD.
	Due string `json:"due"`
	// Expires is the latest last day, YYYY-MM-DD, or null when open-ended (a recall whose
	// work is not recorded yet).
	Expires *string `json:"expires"`
	// Reasons say why, in words and facts, the highest priority first.
	Reasons []string `json:"reasons"`
	// Consultant is the owning sales consultant when a reason is consultant-owned.
	Consultant string `json:"consultant,omitempty"`
	// DueDay and ExpiresDay are Due and Expires as days (ExpiresDay is OpenEnded when open-ended).
	DueDay     time.Time `json:"-"`
	ExpiresDay time.Time `json:"-"`
}

// List returns the open tasks of the dealer's queue as of p.Day, computed from the reasons
// active that day, the highest priority first. It is exact for any day that has been built
// (Build as of that day), whatever the order in which days were built.
func List(ctx context.Context, db store.DBTX, p ListParams) ([]ListedTask, error) {
	if p.Day.IsZero() {
		return nil, ErrBadDay
	}
	if p.Campaign != "" && !IsCampaign(p.Campaign) {
		return nil, fmt.Errorf("queue: unknown campaign %q", p.Campaign)
	}
	stmts, err := statements("list.sql")
	if err != nil {
		return nil, err
	}
	day := dayOf(p.Day)
	rows, err := db.Query(ctx, stmts[0], pgx.NamedArgs{"dealer": p.DealerID, "day": day, "campaign": p.Campaign})
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	defer rows.Close()
	var out []ListedTask
	for rows.Next() {
		var t ListedTask
		var priority int32
		if err := rows.Scan(&t.TaskID, &t.CustomerID, &t.Customer, &t.Title, &t.Phone, &t.Campaigns,
			&priority, &t.DueDay, &t.ExpiresDay, &t.Reasons, &t.Consultant); err != nil {
			return nil, fmt.Errorf("list queue: %w", err)
		}
		t.Priority = int(priority)
		t.Due = t.DueDay.Format(time.DateOnly)
		if !t.ExpiresDay.Equal(OpenEnded()) {
			s := t.ExpiresDay.Format(time.DateOnly)
			t.Expires = &s
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return out, nil
}
