package demo_test

import (
	"context"
	"encoding/binary"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/demo"
	"github.com/huifang/huifang/store/importer"
	"github.com/huifang/huifang/store/phone"
	"github.com/huifang/huifang/store/storetest"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	res, err := demo.Generate(ctx, db, demo.Params{DealerCode: "D1", Customers: 1500, Password: "secret1", Today: today, Seed: 7})
	require.NoError(t, err)
	require.Equal(t, 1500, res.Customers)
	require.Greater(t, res.Vehicles, 900)
	require.Greater(t, res.Visits, 500)
	require.Greater(t, res.Showroom, 300)

	// Every VIN is valid, every phone a mainland mobile, and unique.
	rows, err := db.Query(ctx, `SELECT vin FROM vehicles`)
	require.NoError(t, err)
	vins, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, v := range vins {
		require.True(t, importer.ValidVIN(v), "invalid VIN %s", v)
	}
	mobile := regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	rows, err = db.Query(ctx, `SELECT phone FROM customers`)
	require.NoError(t, err)
	phones, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, p := range phones {
		require.Regexp(t, mobile, p)
		n, err := phone.Normalize(p)
		require.NoError(t, err)
		require.Equal(t, p, n)
	}

	// Histories reach the day: visitors today, deliveries 3 days ago, open complaints,
	// visits that never come after the day.
	var visitorsToday, recent, openComplaints, future int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM showroom_visits WHERE (arrived_at AT TIME ZONE 'Asia/Shanghai')::date = $1`, today).Scan(&visitorsToday))
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM vehicles WHERE delivery_day BETWEEN $1::date - 7 AND $1::date - 3`, today).Scan(&recent))
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM complaints WHERE closed_on IS NULL`).Scan(&openComplaints))
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM workshop_visits WHERE day > $1`, today).Scan(&future))
	require.Positive(t, visitorsToday)
	require.Positive(t, recent)
	require.Positive(t, openComplaints)
	require.Zero(t, future)

	// Users can log in with the password.
	u, err := store.New(db).GetUserByUsername(ctx, store.GetUserByUsernameParams{DealerID: res.DealerID, Username: "agent1"})
	require.NoError(t, err)
	require.True(t, store.CheckPassword(u.PasswordHash, "secret1"))
	require.Equal(t, "agent", u.Role)

	// A second run refuses to mix demo data into a dealer that has customers.
	_, err = demo.Generate(ctx, db, demo.Params{DealerCode: "D1", Customers: 10, Password: "secret1", Today: today})
	require.ErrorIs(t, err, demo.ErrNotEmpty)
}

func TestGenerateIsReproducible(t *testing.T) {
	ctx := context.Background()
	today := time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)
	sum := func() string {
		db := storetest.New(t)
		_, err := demo.Generate(ctx, db, demo.Params{DealerCode: "R", Customers: 300, Password: "secret1", Today: today, Seed: 3})
		require.NoError(t, err)
		var s string
		require.NoError(t, db.QueryRow(ctx, `SELECT md5(string_agg(c.name || c.phone || coalesce(v.vin, ''), ',' ORDER BY c.phone, v.vin))
			FROM customers c LEFT JOIN vehicles v ON v.customer_id = c.id`).Scan(&s))
		return s
	}
	require.Equal(t, sum(), sum())
}

func TestGenerateCalls(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	today := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	res, err := demo.Generate(ctx, db, demo.Params{DealerCode: "C1", Customers: 400, Password: "secret1", Today: today, Seed: 2})
	require.NoError(t, err)
	var openBefore int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM call_tasks WHERE status = 'open'`).Scan(&openBefore))

	dir := t.TempDir()
	calls, err := demo.GenerateCalls(ctx, db, demo.CallParams{DealerID: res.DealerID, Today: today, Days: 2, PerAgentPerDay: 3, RecordingsDir: dir, Seed: 2})
	require.NoError(t, err)
	require.Equal(t, 2*3*5, calls.Attempts) // five agents
	require.Equal(t, calls.Answered, calls.Recordings)
	require.Positive(t, calls.Answered)

	// Every answered call has its outcome and a stereo WAV; calls lie in the past days'
	// calling window; today's queue is untouched.
	rows, err := db.Query(ctx, `SELECT a.recording_path FROM call_attempts a
		JOIN call_outcomes o ON o.attempt_id = a.id WHERE a.outcome = 'answered'`)
	require.NoError(t, err)
	paths, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Len(t, paths, calls.Answered)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, "RIFF", string(b[:4]))
		require.Equal(t, uint16(2), binary.LittleEndian.Uint16(b[22:24]), "stereo")
	}
	var outside, openAfter int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM call_attempts
		WHERE (invite_at AT TIME ZONE 'Asia/Shanghai')::time NOT BETWEEN '09:00' AND '20:30'
		   OR (invite_at AT TIME ZONE 'Asia/Shanghai')::date >= $1`, today).Scan(&outside))
	require.Zero(t, outside)
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM call_tasks WHERE status = 'open'`).Scan(&openAfter))
	require.Equal(t, openBefore, openAfter)
}
