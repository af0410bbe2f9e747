package queue

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// customerOf returns the customer of task.
func (b *workBundle) customerOf(t testing.TB, task int64) int64 {
	t.Helper()
	var c int64
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT customer_id FROM call_tasks WHERE id = $1`, task).Scan(&c))
	return c
}

// vehicleFor adds an active vehicle delivered on delivery to customer.
func (b *workBundle) vehicleFor(t testing.TB, customer int64, vin, delivery string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.QueryRow(context.Background(), `INSERT INTO vehicles (dealer_id, customer_id, vin, delivery_day)
		VALUES ($1, $2, $3, $4) RETURNING id`, b.dealer, customer, vin, day(delivery)).Scan(&id))
	return id
}

// save records an answered call and the outcome p of it.
func (b *workBundle) save(t testing.TB, p OutcomeParams) (*OutcomeResult, error) {
	t.Helper()
	p.DealerID, p.AgentUserID = b.dealer, b.agents[0]
	b.call(t, p.TaskID, true, p.Now)
	return RecordOutcome(context.Background(), b.db, p)
}

func (b *workBundle) prospectOf(t testing.TB, customer int64) (status, intent, reason string, statusDay *time.Time) {
	t.Helper()
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT prospect_status, intent_level, lost_reason, status_day FROM customers WHERE id = $1`, customer).
		Scan(&status, &intent, &reason, &statusDay))
	return
}

func (b *workBundle) writebacks(t testing.TB, customer int64) []map[string]any {
	t.Helper()
	rows, err := b.db.Query(context.Background(), `SELECT detail FROM audit_log WHERE action = 'customer.writeback' AND subject_id = $1 ORDER BY id`, customer)
	require.NoError(t, err)
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var raw json.RawMessage
		require.NoError(t, rows.Scan(&raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		out = append(out, m)
	}
	return out
}

func TestWriteBackMileageAndNotOwnerAndMovedAway(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00")

	// A stated mileage (from the script's answers) becomes today's reading of the only car.
	id := b.addTask(t, taskOpts{phone: "13900000011", campaigns: []string{"maintenance"}})
	c := b.customerOf(t, id)
	v := b.vehicleFor(t, c, "LWRITEBACK0000001", "2026-01-10")
	_, err := b.db.Exec(ctx, `INSERT INTO odometer_readings (vehicle_id, day, km) VALUES ($1, '2026-06-01', 8000)`, v)
	require.NoError(t, err)
	_, err = b.save(t, OutcomeParams{ClientID: "km-low", TaskID: id, Code: "reached", Now: now, Answers: json.RawMessage(`{"mileage":{"text":"7000公里"}}`)})
	var wbe *WriteBackError
	require.ErrorAs(t, err, &wbe, "a reading below an earlier one is refused")
	require.Equal(t, "mileage", wbe.Field)
	require.Equal(t, StatusOpen, b.taskStatus(t, id), "nothing stored")
	_, err = b.save(t, OutcomeParams{ClientID: "km", TaskID: id, Code: "reached", Now: now.Add(time.Minute), Answers: json.RawMessage(`{"mileage":{"text":"12,500 公里"}}`)})
	require.NoError(t, err)
	var km int
	var src string
	require.NoError(t, b.db.QueryRow(ctx, `SELECT km, source FROM odometer_readings WHERE vehicle_id = $1 AND day = '2026-11-23'`, v).Scan(&km, &src))
	require.Equal(t, 12500, km)
	require.Equal(t, "call", src)
	wb := b.writebacks(t, c)
	require.Len(t, wb, 1)
	require.Equal(t, "mileage", wb[0]["field"])

	// Not the owner any more: the car is inactive from today; with two cars the form must say which.
	id2 := b.addTask(t, taskOpts{phone: "13900000012", campaigns: []string{"maintenance"}})
	c2 := b.customerOf(t, id2)
	v1 := b.vehicleFor(t, c2, "LWRITEBACK0000002", "2025-01-10")
	b.vehicleFor(t, c2, "LWRITEBACK0000003", "2025-02-10")
	_, err = b.save(t, OutcomeParams{ClientID: "no1", TaskID: id2, Code: "not_owner", Now: now})
	require.ErrorAs(t, err, &wbe)
	require.Equal(t, "vehicle_id", wbe.Field)
	_, err = b.save(t, OutcomeParams{ClientID: "no2", TaskID: id2, Code: "not_owner", Now: now.Add(time.Minute), WriteBack: WriteBack{VehicleID: v1}})
	require.NoError(t, err)
	var active bool
	var inactiveOn *time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT active, inactive_on FROM vehicles WHERE id = $1`, v1).Scan(&active, &inactiveOn))
	require.False(t, active)
	require.Equal(t, day("2026-11-23"), *inactiveOn)

	// Moved away: marked from today.
	id3 := b.addTask(t, taskOpts{phone: "13900000013", campaigns: []string{"lapsed_6m"}})
	_, err = b.save(t, OutcomeParams{ClientID: "mv", TaskID: id3, Code: "moved_away", Now: now})
	require.NoError(t, err)
	var moved *time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT moved_away_on FROM customers WHERE id = $1`, b.customerOf(t, id3)).Scan(&moved))
	require.Equal(t, day("2026-11-23"), *moved)
}

func TestWriteBackProspect(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	now := b.at(t, "2026-11-23 10:00") // a Monday
	prospect := func(phone, status, intent string, campaign string) (int64, int64) {
		id := b.addTask(t, taskOpts{phone: phone, campaigns: []string{campaign}})
		c := b.customerOf(t, id)
		_, err := b.db.Exec(ctx, `UPDATE customers SET prospect_status = $2, intent_level = $3, status_day = '2026-11-01' WHERE id = $1`, c, status, intent)
		require.NoError(t, err)
		return id, c
	}
	week := func(label string) json.RawMessage {
		return json.RawMessage(`{"week_result":{"label":"` + label + `","score":1}}`)
	}

	id, c := prospect("13900000021", "key", "H", "key_prospect")
	_, err := b.save(t, OutcomeParams{ClientID: "deal", TaskID: id, Code: "reached", Now: now, Answers: week("成交")})
	require.NoError(t, err)
	st, _, _, sd := b.prospectOf(t, c)
	require.Equal(t, "won", st)
	require.Equal(t, day("2026-11-23"), *sd)

	id, c = prospect("13900000022", "key", "H", "key_prospect")
	_, err = b.save(t, OutcomeParams{ClientID: "lost-no-reason", TaskID: id, Code: "reached", Now: now, Answers: week("战败")})
	var wbe *WriteBackError
	require.ErrorAs(t, err, &wbe)
	require.Equal(t, "lost_reason", wbe.Field)
	_, err = b.save(t, OutcomeParams{ClientID: "lost", TaskID: id, Code: "reached", Now: now.Add(time.Minute), Answers: week("战败"),
		WriteBack: WriteBack{LostReason: "价格太高"}})
	require.NoError(t, err)
	st, _, reason, sd := b.prospectOf(t, c)
	require.Equal(t, []string{"lost", "价格太高"}, []string{st, reason})
	require.Equal(t, day("2026-11-23"), *sd, "the lost-prospect check counts from today")

	id, c = prospect("13900000023", "key", "H", "key_prospect")
	_, err = b.save(t, OutcomeParams{ClientID: "later", TaskID: id, Code: "reached", Now: now, Answers: week("延期")})
	require.NoError(t, err)
	st, intent, _, _ := b.prospectOf(t, c)
	require.Equal(t, []string{"open", "A"}, []string{st, intent})

	// The lost-prospect check finds "not bought yet": reopened, with the call's intent level,
	// in prospect_history as a reopen dated today.
	id, c = prospect("13900000024", "lost", "B", "lost_prospect")
	_, err = b.save(t, OutcomeParams{ClientID: "reopen", TaskID: id, Code: "reached", Now: now,
		Answers: json.RawMessage(`{"bought":{"label":"还没买","score":2},"intent_level":{"label":"B 30天内","score":2}}`)})
	require.NoError(t, err)
	st, intent, reason, _ = b.prospectOf(t, c)
	require.Equal(t, []string{"open", "B", ""}, []string{st, intent, reason})
	var src string
	var hday time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT source, day FROM prospect_history WHERE customer_id = $1 ORDER BY id DESC LIMIT 1`, c).Scan(&src, &hday))
	require.Equal(t, "reopen", src)
	require.Equal(t, day("2026-11-23"), hday)

	// The same-day call's intent level replaces the prospect's; H makes a key prospect.
	id, c = prospect("13900000025", "open", "B", "same_day_visit")
	_, err = b.save(t, OutcomeParams{ClientID: "h", TaskID: id, Code: "reached", Now: now, WriteBack: WriteBack{IntentLevel: "h"}})
	require.NoError(t, err)
	st, intent, _, _ = b.prospectOf(t, c)
	require.Equal(t, []string{"key", "H"}, []string{st, intent})
	wb := b.writebacks(t, c)
	require.Len(t, wb, 2)
	require.Equal(t, []any{"prospect_status", "open", "key"}, []any{wb[0]["field"], wb[0]["from"], wb[0]["to"]})
	require.Equal(t, []any{"intent_level", "B", "H"}, []any{wb[1]["field"], wb[1]["from"], wb[1]["to"]})

	id, _ = prospect("13900000026", "open", "B", "same_day_visit")
	_, err = b.save(t, OutcomeParams{ClientID: "bad-level", TaskID: id, Code: "reached", Now: now, WriteBack: WriteBack{IntentLevel: "Z"}})
	require.ErrorAs(t, err, &wbe)
	require.Equal(t, "intent_level", wbe.Field)
}

// TestReopenedProspectIsFollowedUpNextDay: the whole path, a lost-prospect check call that
// finds "not bought yet" gives the consultant a prospect_followup due the next day.
func TestReopenedProspectIsFollowedUpNextDay(t *testing.T) {
	t.Parallel()
	b := newWorkBundle(t, 1)
	ctx := context.Background()
	id := b.addTask(t, taskOpts{phone: "13900000031", campaigns: []string{"lost_prospect"}})
	c := b.customerOf(t, id)
	_, err := b.db.Exec(ctx, `UPDATE customers SET prospect_status = 'lost', status_day = '2026-11-10', consultant = '张伟', lost_reason = '价格太高' WHERE id = $1`, c)
	require.NoError(t, err)
	_, err = b.save(t, OutcomeParams{ClientID: "chk", TaskID: id, Code: "reached", Now: b.at(t, "2026-11-17 10:00"),
		WriteBack: WriteBack{ProspectResult: ProspectNotBought, IntentLevel: "A"}})
	require.NoError(t, err)
	for _, d := range []string{"2026-11-17", "2026-11-18"} {
		_, err := Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: day(d)})
		require.NoError(t, err)
	}
	list := func(d string) []ListedTask {
		out, err := List(ctx, b.db, ListParams{DealerID: b.dealer, Day: day(d)})
		require.NoError(t, err)
		return out
	}
	require.Empty(t, list("2026-11-17"))
	got := list("2026-11-18")
	require.Len(t, got, 1)
	require.Equal(t, []string{CampaignProspectFollowup}, got[0].Campaigns)
	require.Equal(t, "张伟", got[0].Consultant)
	require.Equal(t, "2026-11-18", got[0].Due)
	require.Equal(t, "2026-11-20", *got[0].Expires)
}
