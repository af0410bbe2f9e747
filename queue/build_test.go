package queue

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

func TestBuildSmoke(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c := f.customer(cust{Grade: "premium", Birthday: "1980-03-05"})
	v := f.vehicle(c, veh{Delivery: "2026-01-10", Warranty: "2029-01-10"})
	f.reading(v, "2026-02-10", 1000)
	f.visit(v, "2026-01-20", "repair", -1)
	res := f.build("2026-01-25")
	t.Logf("%+v", res)
	for _, x := range f.list("2026-01-25") {
		t.Logf("%+v", x)
	}
	res = f.build("2026-01-25")
	require.Zero(t, res.ReasonsAdded)
}
