package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The satisfaction and complaint figures on a fixed calendar, each with the list behind it.
func TestFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 2)
	dir := b.director(t, "d")
	task := b.addTask(t, taskOpts{phone: "13900000031", campaigns: []string{"post_service"}})
	var cust int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT customer_id FROM call_tasks WHERE id = $1`, task).Scan(&cust))
	// Outcomes (all reached) with scores: agent1 5, 4, 2 in November; agent2 3 in November
	// and 1 on 12-01 (outside the period).
	add := func(agent int64, code string, day string, score int) int64 {
		var id int64
		at := b.at(t, day+" 10:00")
		require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, agent_user_id, code, created_at)
			VALUES ($1, md5(random()::text), $2, $3, $4, $5) RETURNING id`, b.dealer, task, agent, code, at).Scan(&id))
		if score > 0 {
			_, err := b.db.Exec(ctx, `INSERT INTO call_scores (outcome_id, question, dealer_id, customer_id, agent_user_id, campaign, advisor, day, score)
				VALUES ($1, 'q', $2, $3, $4, 'post_service', '王顾问', $5, $6)`, id, b.dealer, cust, agent, day, score)
			require.NoError(t, err)
		}
		return id
	}
	a1, a2 := b.agents[0], b.agents[1]
	add(a1, "reached", "2026-11-02", 5)
	add(a1, "reached", "2026-11-10", 4)
	add(a1, "reached", "2026-11-20", 2)
	add(a2, "reached", "2026-11-21", 3)
	add(a2, "reached", "2026-12-01", 1)
	add(a2, "no_answer", "2026-11-21", 0) // not reached: not in the base of per-100
	from, to := day("2026-11-01"), day("2026-11-30")
	sat, err := Satisfaction(ctx, b.db, b.dealer, from, to)
	require.NoError(t, err)
	rows := sat[ByAgent]
	require.Len(t, rows, 3)
	require.True(t, rows[0].Total)
	require.Equal(t, int64(4), rows[0].N)
	require.InDelta(t, 3.5, rows[0].Mean(), 1e-9)
	require.InDelta(t, 0.5, rows[0].Share45(), 1e-9)
	require.Equal(t, "坐席1", rows[1].Label)
	require.InDelta(t, 11.0/3, rows[1].Mean(), 1e-9)
	require.InDelta(t, 2.0/3, rows[1].Share45(), 1e-9)
	calls, err := SatisfactionCalls(ctx, b.db, b.dealer, from, to, ByAgent, rows[1].Key, false, true, 100)
	require.NoError(t, err)
	require.Len(t, calls, 2, "agent1's 4-5 scores behind the share")
	sat, err = Satisfaction(ctx, b.db, b.dealer, day("2026-11-01"), day("2026-12-31"))
	require.NoError(t, err)
	months := sat[ByMonth]
	require.Equal(t, []string{"", "2026-11", "2026-12"}, []string{months[0].Key, months[1].Key, months[2].Key})
	require.Equal(t, int64(5), months[0].N)
	require.Equal(t, "post_service", sat[ByCampaign][1].Key)
	require.Equal(t, "王顾问", sat[ByAdvisor][1].Key)
	_, err = SatisfactionCalls(ctx, b.db, b.dealer, from, to, "nope", "", false, false, 10)
	require.ErrorIs(t, err, ErrBadDimension)

	// Complaints in November: one responded after 2 h and resolved in time, one responded
	// after 6 h and resolved late and reopened, one still open past its deadline; one in
	// December (outside).
	open := func(category, at string) int64 {
		id, err := OpenComplaint(ctx, b.db, OpenComplaintParams{DealerID: b.dealer, CustomerID: cust, Category: category,
			Description: category + at, Source: ComplaintFromAPI, Now: b.at(t, at)})
		require.NoError(t, err)
		return id
	}
	act := func(id int64, kind, at string) {
		require.NoError(t, ChangeComplaint(ctx, b.db, ComplaintAction{DealerID: b.dealer, ComplaintID: id, UserID: dir, Kind: kind, Note: kind, Now: b.at(t, at)}))
	}
	k1 := open("price", "2026-11-03 09:00")
	act(k1, "respond", "2026-11-03 11:00")
	act(k1, "resolve", "2026-11-04 09:00")
	k2 := open("price", "2026-11-10 09:00") // serious: a second complaint within 90 days (4 h / 24 h)
	act(k2, "respond", "2026-11-10 15:00")
	act(k2, "resolve", "2026-11-12 09:00")
	act(k2, "reopen", "2026-11-20 09:00")
	open("parts", "2026-11-25 09:00")
	open("parts", "2026-12-02 09:00")
	now := b.at(t, "2026-12-10 09:00")
	cf, err := ComplaintFigures(ctx, b.db, b.dealer, from, to, now)
	require.NoError(t, err)
	figs := cf[ByCategory]
	require.Len(t, figs, 3)
	all := figs[0]
	require.True(t, all.Total)
	require.Equal(t, int64(3), all.Opened)
	require.Equal(t, int64(4), all.Reached)
	require.InDelta(t, 75.0, all.Per100(), 1e-9)
	require.Equal(t, int64(1), all.Responded, "the reopened one's response was cleared by the reopening")
	require.Equal(t, 2*time.Hour, all.MedianResponse)
	require.Equal(t, int64(3), all.Due)
	require.Equal(t, int64(1), all.InTime)
	require.InDelta(t, 1.0/3, all.ReopenRate(), 1e-9)
	require.Equal(t, "parts", figs[1].Key)
	require.Equal(t, int64(1), figs[1].Opened)
	require.Equal(t, "price", figs[2].Key)
	require.Equal(t, int64(2), figs[2].Opened)
	cf, err = ComplaintFigures(ctx, b.db, b.dealer, from, day("2026-12-31"), now)
	require.NoError(t, err)
	byMonth := cf[ByMonth]
	require.Equal(t, []string{"", "2026-11", "2026-12"}, []string{byMonth[0].Key, byMonth[1].Key, byMonth[2].Key})
	list, err := ListComplaints(ctx, b.db, ComplaintFilter{DealerID: b.dealer, Now: now, Category: "price", From: from, To: to})
	require.NoError(t, err)
	require.Len(t, list, 2, "the figure's list")
	require.Equal(t, k2, list[0].ID, "the reopened one is active and overdue: first")
}

// A period without a single score is a figure of none, not an error (the satisfaction
// page answered 500 for a dealer with no scored call yet).
func TestSatisfactionWithoutScores(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	sat, err := Satisfaction(context.Background(), b.db, b.dealer, day("2026-11-01"), day("2026-11-30"))
	require.NoError(t, err)
	require.Len(t, sat[ByCampaign], 1, "the whole period only")
	require.Zero(t, sat[ByCampaign][0].N)
}
