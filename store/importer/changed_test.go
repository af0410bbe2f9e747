package importer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/importer"
)

// TestChangedRunsInTheFileTransaction: Options.Changed is called once for each file that
// inserted or updated rows, inside its transaction with the dealer and the import day (so
// what it writes commits with the data), never for a refused file, an unchanged one or a
// dry run; its error rolls the file back.
func TestChangedRunsInTheFileTransaction(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	owners := writeFile(t, dir, "o.csv", csvOf(append([]string{ownersHeader}, ownersRows(t)...)...), "utf8")
	visits := writeFile(t, dir, "v.csv", csvOf("车架号,进厂日期,业务类型", vin(t, 1)+",2026-03-02,首保"), "utf8")
	bad := writeFile(t, dir, "bad.csv", csvOf("客户姓名,手机号,车架号", "张三,123,"+vin(t, 3)), "utf8")
	type call struct {
		dealer int64
		day    string
		rows   int
	}
	var calls []call
	changed := func(ctx context.Context, tx pgx.Tx, dealerID int64, day time.Time) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM vehicles").Scan(&n))
		calls = append(calls, call{dealerID, day.Format(time.DateOnly), n})
		return nil
	}
	res := imp(t, db, importer.Options{DryRun: true, Changed: changed}, owners)
	require.Equal(t, 2, res.Total.Inserted)
	require.Empty(t, calls, "not in a dry run")

	res = imp(t, db, importer.Options{Changed: changed}, visits, owners, bad)
	require.Equal(t, 3, res.Total.Inserted)
	require.Len(t, calls, 2, "owners and visits, not the refused file")
	require.Equal(t, res.DealerID, calls[0].dealer)
	require.Equal(t, "2026-03-10", calls[0].day, "the import day in the dealer's zone")
	require.Equal(t, 2, calls[0].rows, "called in the transaction that wrote the owners")

	imp(t, db, importer.Options{Changed: changed}, owners)
	require.Len(t, calls, 2, "an unchanged file asks for nothing")

	failing := func(context.Context, pgx.Tx, int64, time.Time) error { return errors.New("outbox down") }
	more := writeFile(t, dir, "o2.csv", csvOf(ownersHeader, "王五,13700000002,男,"+vin(t, 4)+",,,,,,,,,"), "utf8")
	_, err := importer.Import(context.Background(), db,
		importer.Options{DealerCode: "D1", Now: func() time.Time { return testNow }, Changed: failing}, more)
	require.ErrorContains(t, err, "outbox down")
	require.Zero(t, count(t, db, "SELECT count(*) FROM vehicles WHERE vin = $1", vin(t, 4)), "rolled back with the file")
}
