package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A build asked for before another build began is covered by it and skipped; one asked
// for after it runs.
func TestBuildUnlessBuiltSince(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	d := day("2026-11-22")
	_, err := Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: d})
	require.NoError(t, err)
	var asked1 time.Time
	require.NoError(t, b.db.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&asked1))
	res, err := Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: d, UnlessBuiltSince: asked1})
	require.NoError(t, err)
	require.False(t, res.Skipped, "no build began after the request: it runs")
	res, err = Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: d, UnlessBuiltSince: asked1})
	require.NoError(t, err)
	require.True(t, res.Skipped, "the previous build began after the request: skipped")
	res, err = Build(ctx, b.db, BuildParams{DealerID: b.dealer, Day: day("2026-11-23"), UnlessBuiltSince: asked1})
	require.NoError(t, err)
	require.False(t, res.Skipped, "another day is another build")
}
