package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
)

// director adds a director to the bundle's dealer and returns its id.
func (b *workBundle) director(t testing.TB, name string) int64 {
	t.Helper()
	u, err := store.New(b.db).CreateUser(context.Background(), store.CreateUserParams{
		DealerID: b.dealer, Username: name, DisplayName: "总监" + name, Role: "director", PasswordHash: "x"})
	require.NoError(t, err)
	return u.ID
}

type complaintRow struct {
	Status, Severity, Source      string
	Owner, Attempt, Outcome       *int64
	OpenedAt, RespondDue, Resolve time.Time
	ClosedOn                      *time.Time
	Reopened                      int
}

func (b *workBundle) complaint(t testing.TB, id int64) complaintRow {
	t.Helper()
	var k complaintRow
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT status, severity, source, owner_user_id, attempt_id, outcome_id,
		opened_at, respond_due, resolve_due, closed_on, reopened FROM complaints WHERE id = $1`, id).Scan(
		&k.Status, &k.Severity, &k.Source, &k.Owner, &k.Attempt, &k.Outcome, &k.OpenedAt, &k.RespondDue, &k.Resolve, &k.ClosedOn, &k.Reopened))
	return k
}

// callAndOutcome records an answered call of task at at and the agent's outcome.
func (b *workBundle) callAndOutcome(t testing.TB, task int64, at time.Time, code string, answers map[string]any) *OutcomeResult {
	t.Helper()
	attempt := b.call(t, task, true, at)
	raw, err := json.Marshal(answers)
	require.NoError(t, err)
	res, err := RecordOutcome(context.Background(), b.db, OutcomeParams{DealerID: b.dealer, ClientID: fmt.Sprintf("o-%d-%d", task, at.Unix()),
		TaskID: task, AgentUserID: b.agents[0], Code: code, AttemptID: attempt, Answers: raw, ComplaintCategory: "repair_quality",
		Notes: "修完还漏油", Now: at.Add(time.Minute)})
	require.NoError(t, err)
	return res
}

func score(n int) map[string]any {
	return map[string]any{"kind": "score", "score": n, "label": fmt.Sprint(n)}
}

// The life of a complaint on a fixed calendar: opened by a call's outcome (with the call
// and its low score), owned by the service director, told at once, overdue after 24 h,
// responded, resolved (note required), the satisfaction call D+3 (not D+2), a
// dissatisfied customer reopens it serious with 4 h / 24 h deadlines, a satisfied one
// closes it for good.
func TestComplaintLife(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 1)
	dir := b.director(t, "fwzj")
	b.director(t, "xszj")
	task := b.addTask(t, taskOpts{phone: "13900000011"})
	opened := b.at(t, "2026-11-23 10:00")
	res := b.callAndOutcome(t, task, opened, "complaint", map[string]any{"satisfaction": score(1), "note": map[string]any{"text": "x"}})
	require.Equal(t, "complaint", res.Effect)

	var id int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT id FROM complaints WHERE outcome_id = $1`, res.OutcomeID).Scan(&id))
	k := b.complaint(t, id)
	require.Equal(t, ComplaintOpen, k.Status)
	require.Equal(t, SeverityNormal, k.Severity)
	require.Equal(t, ComplaintFromCall, k.Source)
	require.Equal(t, dir, *k.Owner, "the first director owns it")
	require.NotNil(t, k.Attempt, "the call and its recording")
	at := opened.Add(time.Minute)
	require.True(t, k.RespondDue.Equal(at.Add(24*time.Hour)), k.RespondDue)
	require.True(t, k.Resolve.Equal(at.Add(72*time.Hour)), k.Resolve)
	var low int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT score FROM call_scores WHERE outcome_id = $1`, res.OutcomeID).Scan(&low))
	require.Equal(t, 1, low, "the low score is stored, the text answer is not a score")

	// Told once when it opens, once when the first response is overdue.
	ns, err := SweepComplaints(ctx, b.db, at.Add(time.Second))
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, NoticeOpened, ns[0].Kind)
	require.Equal(t, "总监fwzj", ns[0].Owner)
	ns, err = SweepComplaints(ctx, b.db, at.Add(23*time.Hour))
	require.NoError(t, err)
	require.Empty(t, ns)
	ns, err = SweepComplaints(ctx, b.db, at.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, NoticeRespondOverdue, ns[0].Kind)
	ns, err = SweepComplaints(ctx, b.db, at.Add(25*time.Hour))
	require.NoError(t, err)
	require.Empty(t, ns, "told once")

	act := func(kind, note string, now time.Time) error {
		return ChangeComplaint(ctx, b.db, ComplaintAction{DealerID: b.dealer, ComplaintID: id, UserID: dir, Kind: kind, Note: note, Now: now})
	}
	var ce *ComplaintError
	require.ErrorAs(t, act("respond", " ", at.Add(25*time.Hour)), &ce)
	require.Equal(t, "note", ce.Field)
	require.ErrorAs(t, act("resolve", "", at.Add(25*time.Hour)), &ce)
	require.Equal(t, "note", ce.Field)
	require.NoError(t, act("respond", "约好周三来店免费检查", at.Add(25*time.Hour)))
	require.ErrorAs(t, act("respond", "again", at.Add(25*time.Hour)), &ce, "responded once")
	resolved := b.at(t, "2026-11-25 16:00")
	require.NoError(t, act("resolve", "更换油封，客户确认不漏了", resolved))
	k = b.complaint(t, id)
	require.Equal(t, ComplaintResolved, k.Status)
	require.Equal(t, day("2026-11-25"), *k.ClosedOn)

	// The satisfaction call: D+3, not D+2.
	sat := func(asOf string) int64 {
		_, err := Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: day(asOf)})
		require.NoError(t, err)
		tasks, err := List(ctx, b.db, ListParams{DealerID: b.dealer, Day: day(asOf)})
		require.NoError(t, err)
		for _, lt := range tasks {
			if len(lt.Campaigns) > 0 && lt.Campaigns[0] == CampaignComplaint {
				return lt.TaskID
			}
		}
		return 0
	}
	require.Zero(t, sat("2026-11-27"), "not before D+3")
	satTask := sat("2026-11-28")
	require.NotZero(t, satTask, "the satisfaction call is in the queue on D+3")

	// Not satisfied (3): reopened, serious, the serious deadlines from now.
	again := b.at(t, "2026-11-28 11:00")
	b.callAndOutcome(t, satTask, again, "reached", map[string]any{"handling_satisfaction": score(3)})
	k = b.complaint(t, id)
	require.Equal(t, ComplaintOpen, k.Status)
	require.Equal(t, SeveritySerious, k.Severity)
	require.Equal(t, 1, k.Reopened)
	require.Nil(t, k.ClosedOn)
	require.True(t, k.RespondDue.Equal(again.Add(time.Minute).Add(4*time.Hour)), k.RespondDue)
	require.True(t, k.Resolve.Equal(again.Add(time.Minute).Add(24*time.Hour)), k.Resolve)
	ns, err = SweepComplaints(ctx, b.db, again.Add(2*time.Minute))
	require.NoError(t, err)
	require.Len(t, ns, 1, "a reopened complaint is told again")
	require.Equal(t, NoticeReopened, ns[0].Kind)
	require.Equal(t, SeveritySerious, ns[0].Severity)

	// Resolved again; a new satisfaction call; satisfied (5): closed.
	require.NoError(t, act("resolve", "换新件", b.at(t, "2026-11-28 15:00")))
	satTask = sat("2026-12-01")
	require.NotZero(t, satTask)
	b.callAndOutcome(t, satTask, b.at(t, "2026-12-01 10:00"), "reached", map[string]any{"handling_satisfaction": score(5)})
	k = b.complaint(t, id)
	require.Equal(t, ComplaintClosed, k.Status)
	require.Zero(t, sat("2026-12-02"), "closed for good: no call left")

	var kinds []string
	rows, err := b.db.Query(ctx, `SELECT kind FROM complaint_events WHERE complaint_id = $1 ORDER BY at, id`, id)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		kinds = append(kinds, s)
	}
	require.Equal(t, []string{"opened", "overdue", "responded", "resolved", "reopened", "resolved", "closed"}, kinds)
}

// Owner, severity and deadlines: the complaint_owner setting names the owner; a second
// complaint within complaint_repeat_days is serious (4 h / 24 h); a complaint written by
// an import is filled by the sweep; assigning needs a director of the dealer.
func TestComplaintOwnerSeverityAndImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 1)
	b.director(t, "d1")
	d2 := b.director(t, "d2")
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "complaint_owner", int(d2)))
	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "complaint_respond_hours", 12))
	task := b.addTask(t, taskOpts{phone: "13900000021"})
	var cust int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT customer_id FROM call_tasks WHERE id = $1`, task).Scan(&cust))
	now := b.at(t, "2026-03-02 09:30")
	first, err := OpenComplaint(ctx, b.db, OpenComplaintParams{DealerID: b.dealer, CustomerID: cust, Category: "price",
		Description: "保养太贵", Source: ComplaintFromDirector, UserID: d2, Now: now})
	require.NoError(t, err)
	k := b.complaint(t, first)
	require.Equal(t, d2, *k.Owner)
	require.Equal(t, SeverityNormal, k.Severity)
	require.True(t, k.RespondDue.Equal(now.Add(12*time.Hour)))

	second, err := OpenComplaint(ctx, b.db, OpenComplaintParams{DealerID: b.dealer, CustomerID: cust, Category: "attitude",
		Description: "又来", Source: ComplaintFromAPI, Now: now.Add(89 * 24 * time.Hour)})
	require.NoError(t, err)
	k = b.complaint(t, second)
	require.Equal(t, SeveritySerious, k.Severity, "second within 90 days")
	require.True(t, k.RespondDue.Equal(now.Add(89*24*time.Hour+4*time.Hour)))

	// The director's form needs a category and the customer's words, named.
	_, err = OpenComplaint(ctx, b.db, OpenComplaintParams{DealerID: b.dealer, CustomerID: cust, Source: ComplaintFromDirector, Description: "x", Now: now})
	var ce *ComplaintError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "category", ce.Field)

	// An import writes a complaint without deadlines: the sweep fills them and tells.
	var imported int64
	require.NoError(t, b.db.QueryRow(ctx, `INSERT INTO complaints (dealer_id, customer_id, opened_on, category, description)
		VALUES ($1, $2, '2026-07-01', 'parts', 'DMS') RETURNING id`, b.dealer, cust).Scan(&imported))
	ns, err := SweepComplaints(ctx, b.db, b.at(t, "2026-07-01 08:00"))
	require.NoError(t, err)
	var told []int64
	for _, n := range ns {
		told = append(told, n.ComplaintID)
	}
	require.ElementsMatch(t, []int64{first, second, imported}, told)
	k = b.complaint(t, imported)
	require.Equal(t, ComplaintFromImport, k.Source)
	require.True(t, k.OpenedAt.Equal(b.at(t, "2026-07-01 00:00")), "from the start of its day")
	require.NotNil(t, k.Owner)

	// Assign only to a director or admin of the dealer.
	err = ChangeComplaint(ctx, b.db, ComplaintAction{DealerID: b.dealer, ComplaintID: first, UserID: d2, Kind: "assign", Owner: b.agents[0], Now: now})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "owner", ce.Field)
	err = ChangeComplaint(ctx, b.db, ComplaintAction{DealerID: b.dealer + 1000, ComplaintID: first, UserID: d2, Kind: "note", Note: "x", Now: now})
	require.ErrorIs(t, err, ErrComplaintNotFound)
}

func TestScores(t *testing.T) {
	t.Parallel()
	got := Scores(json.RawMessage(`{"a": {"kind": "score", "score": 2, "label": "2"}, "b": {"label": "已解决", "score": 2},
		"c": 4, "d": {"text": "x"}, "e": {"kind": "score", "score": 0}, "f": 6, "g": 2.5}`))
	require.Equal(t, map[string]int{"a": 2, "c": 4}, got)
	require.True(t, IsLowScore(2))
	require.False(t, IsLowScore(3))
}

// With complaint_sms on, each notice queues one service SMS to each director or admin
// with a mobile (once, whatever the number of sweeps), through the outbox.
func TestComplaintNoticeSMS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newWorkBundle(t, 1)
	d1 := b.director(t, "d1")
	b.director(t, "d2") // no mobile: no SMS
	_, err := b.db.Exec(ctx, `UPDATE users SET mobile = '13800000001' WHERE id = $1`, d1)
	require.NoError(t, err)
	task := b.addTask(t, taskOpts{phone: "13900000041"})
	var cust int64
	require.NoError(t, b.db.QueryRow(ctx, `SELECT customer_id FROM call_tasks WHERE id = $1`, task).Scan(&cust))
	now := b.at(t, "2026-11-23 10:00")
	_, err = OpenComplaint(ctx, b.db, OpenComplaintParams{DealerID: b.dealer, CustomerID: cust, Category: "price",
		Description: "太贵", Source: ComplaintFromAPI, Now: now})
	require.NoError(t, err)
	sms := func() int {
		var n int
		require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM sms_messages WHERE template = 'complaint_alert' AND phone = '13800000001'`).Scan(&n))
		return n
	}
	_, err = SweepComplaints(ctx, b.db, now.Add(time.Second))
	require.NoError(t, err)
	require.Zero(t, sms(), "complaint_sms is off by default")

	require.NoError(t, SaveSetting(ctx, b.db, b.dealer, "complaint_sms", 1))
	ns, err := SweepComplaints(ctx, b.db, now.Add(25*time.Hour))
	require.NoError(t, err)
	require.Len(t, ns, 1)
	require.Equal(t, 1, sms(), "the overdue notice, to the director with a mobile")
	var body string
	var outbox int
	require.NoError(t, b.db.QueryRow(ctx, `SELECT body FROM sms_messages WHERE template = 'complaint_alert'`).Scan(&body))
	require.Contains(t, body, "抱怨首次回复已超时")
	require.NoError(t, b.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE task_type = $1`, TypeSMSSend).Scan(&outbox))
	require.Equal(t, 1, outbox)
	_, err = SweepComplaints(ctx, b.db, now.Add(26*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, sms(), "once")
}
