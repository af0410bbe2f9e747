package queue

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// TestFirstMaintenanceReturnUsesTheQueueSchedule: the return rate's due days are the
// queue's (time or projected mileage, the dealer's settings, the facts known at the
// period's end), a vehicle that came has its first due day too, and the window closes
// after the dealer's grace days.
func TestFirstMaintenanceReturnUsesTheQueueSchedule(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	// By time: delivered 2026-03-10, due 09-10, closes 10-10; never came.
	c1 := f.customer(cust{})
	f.vehicle(c1, veh{Delivery: "2026-03-10"})
	// By mileage: 1,000 km per 30 days reaches 5,000 km on 2026-09-29
	// closes 10-29; came 2026-10-20.
	c2 := f.customer(cust{})
	v2 := f.vehicle(c2, veh{Delivery: "2026-05-01"})
	f.reading(v2, "2026-06-01", 1000)
	f.reading(v2, "2026-07-01", 2000)
	f.visit(v2, "2026-10-20", "maintenance", -1)
	// By time, came after the close (delivered 2026-04-20: due 10-20, closes 11-19; came 11-25).
	c3 := f.customer(cust{})
	v3 := f.vehicle(c3, veh{Delivery: "2026-04-20"})
	f.visit(v3, "2026-11-25", "maintenance", -1)
	// Due in November with the defaults: not in October.
	c4 := f.customer(cust{})
	f.vehicle(c4, veh{Delivery: "2026-05-15"})

	rows, err := FirstMaintenanceReturn(f.ctx, db, f.dealer, mustDay("2026-10-01"), mustDay("2026-10-31"))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, c1, rows[0].CustomerID)
	require.Equal(t, mustDay("2026-09-10"), rows[0].Due)
	require.Nil(t, rows[0].Came)
	require.Equal(t, c2, rows[1].CustomerID)
	require.True(t, rows[1].ByMileage)
	require.Equal(t, mustDay("2026-09-29"), rows[1].Due, "2,000 km on 07-01 at 1,000 km per 30 days")
	require.Equal(t, mustDay("2026-10-20"), *rows[1].Came)

	// The dealer's settings: first maintenance at 7 months, 10 days of grace.
	require.NoError(t, SaveSetting(f.ctx, db, f.dealer, "first_maintenance_months", 7))
	require.NoError(t, SaveSetting(f.ctx, db, f.dealer, "first_maintenance_grace", 10))
	rows, err = FirstMaintenanceReturn(f.ctx, db, f.dealer, mustDay("2026-11-01"), mustDay("2026-11-30"))
	require.NoError(t, err)
	var got []int64
	for _, r := range rows {
		got = append(got, r.CustomerID)
	}
	// c3 due 11-20 (7 months), closes 11-30, came 11-25; c4 due 12-15: not yet.
	require.Equal(t, []int64{c3}, got)
	require.Equal(t, mustDay("2026-11-25"), *rows[0].Came)
}

// TestDueNotComeIsTheQueueList: the due-not-come list of a month is the vehicles the
// due_not_come rule lists that month, less those that came since.
func TestDueNotComeIsTheQueueList(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	f := newRuleDealer(t, db, &seq)
	c1 := f.customer(cust{})
	f.vehicle(c1, veh{Delivery: "2025-11-15"}) // first maintenance due 2026-05-15
	c2 := f.customer(cust{})
	v2 := f.vehicle(c2, veh{Delivery: "2025-11-20"})
	f.visit(v2, "2026-06-10", "maintenance", -1) // came in June
	c3 := f.customer(cust{})
	f.vehicle(c3, veh{Delivery: "2026-01-10"}) // due 07-10: not on June's list

	got, err := DueNotCome(f.ctx, db, f.dealer, mustDay("2026-06-01"), mustDay("2026-06-05"))
	require.NoError(t, err)
	require.Len(t, got, 2, "as of 06-05 both overdue owners are on the list")
	got, err = DueNotCome(f.ctx, db, f.dealer, mustDay("2026-06-01"), mustDay("2026-06-20"))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, c1, got[0].CustomerID)
	require.Equal(t, mustDay("2026-05-15"), *got[0].Due)

	// The queue calls the same vehicles.
	f.build("2026-06-05")
	require.True(t, f.held("2026-06-05", c1, CampaignDueNotCome))
	require.True(t, f.held("2026-06-05", c2, CampaignDueNotCome))
	require.False(t, f.held("2026-06-05", c3, CampaignDueNotCome))
}
