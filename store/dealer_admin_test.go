package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestSaveDealer(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	cli := store.Actor{Source: "cli"}

	d, created, err := store.SaveDealer(ctx, db, store.SaveDealerParams{Code: "GZ01", Name: "广州店"}, cli)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "Asia/Shanghai", d.TimeZone, "the default zone")

	refused := []struct {
		name string
		p    store.SaveDealerParams
		want error
	}{
		{"taken code", store.SaveDealerParams{Code: "GZ01", Name: "又一个"}, store.ErrDealerExists},
		{"bad code", store.SaveDealerParams{Code: "广州", Name: "x"}, store.ErrInvalidDealer},
		{"bad zone", store.SaveDealerParams{Code: "GZ02", Name: "x", TimeZone: "Mars/Olympus"}, store.ErrInvalidDealer},
		{"update of a missing dealer without a name", store.SaveDealerParams{Code: "GZ03", Update: true}, store.ErrNoDealer},
		{"update to a bad zone", store.SaveDealerParams{Code: "GZ01", TimeZone: "Nowhere", Update: true}, store.ErrInvalidDealer},
	}
	for _, tc := range refused {
		_, _, err := store.SaveDealer(ctx, db, tc.p, cli)
		require.ErrorIs(t, err, tc.want, tc.name)
	}

	// An update keeps what it is not given.
	d, created, err = store.SaveDealer(ctx, db, store.SaveDealerParams{Code: "GZ01", TimeZone: "Asia/Urumqi", Update: true}, cli)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "广州店", d.Name)
	require.Equal(t, "Asia/Urumqi", d.TimeZone)

	var actions []string
	rows, err := db.Query(ctx, `SELECT action FROM audit_log WHERE subject_type = 'dealer' ORDER BY id`)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		require.NoError(t, rows.Scan(&a))
		actions = append(actions, a)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"dealer.add", "dealer.update"}, actions, "refusals write nothing")
}
