package queue

import (
	"sort"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/storetest"
)

// ruleCase is one rule on a fixed calendar: setup makes the data and returns the customer;
// the campaign must be held on every day of held and on none of notHeld.
type ruleCase struct {
	name     string
	campaign string
	setup    func(f *ruleFixture) int64
	held     []string
	notHeld  []string
}

func ruleCases() []ruleCase {
	owner := func(f *ruleFixture, c cust, v veh) (int64, int64) {
		id := f.customer(c)
		return id, f.vehicle(id, v)
	}
	return []ruleCase{
		{name: "same day visit", campaign: CampaignSameDayVisit,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{Prospect: "open"})
				f.showroom(c, "2026-03-05 14:10")
				return c
			},
			held: []string{"2026-03-05", "2026-03-06"}, notHeld: []string{"2026-03-04", "2026-03-07"}},
		{name: "same day visit just after local midnight", campaign: CampaignSameDayVisit,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{Prospect: "open"})
				f.showroom(c, "2026-03-05 00:30") // 2026-03-04 16:30 UTC
				return c
			},
			held: []string{"2026-03-05", "2026-03-06"}, notHeld: []string{"2026-03-04", "2026-03-07"}},
		{name: "delivery 3 days", campaign: CampaignDelivery3Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-03-01"})
				return c
			},
			held: []string{"2026-03-04", "2026-03-08"}, notHeld: []string{"2026-03-03", "2026-03-09"}},
		{name: "15-day care", campaign: CampaignCare15Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-03-01"})
				return c
			},
			held: []string{"2026-03-16", "2026-03-21"}, notHeld: []string{"2026-03-15", "2026-03-22"}},
		{name: "sales follow-up three touches", campaign: CampaignSalesFollowup,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-03-01", Consultant: "张伟"})
				return c
			},
			held:    []string{"2026-03-31", "2026-04-10", "2026-04-30", "2026-05-10", "2026-05-30", "2026-06-09"},
			notHeld: []string{"2026-03-30", "2026-04-11", "2026-04-29", "2026-05-11", "2026-05-29", "2026-06-10"}},
		{name: "post service after a repair", campaign: CampaignPostService,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				f.visit(v, "2026-03-10", "repair", -1)
				return c
			},
			held: []string{"2026-03-13", "2026-03-17"}, notHeld: []string{"2026-03-12", "2026-03-18"}},
		{name: "lost prospect", campaign: CampaignLostProspect,
			setup: func(f *ruleFixture) int64 {
				return f.customer(cust{Prospect: "lost", StatusDay: "2026-03-10"})
			},
			held: []string{"2026-03-17", "2026-03-24"}, notHeld: []string{"2026-03-16", "2026-03-25"}},
		{name: "key prospect Monday to Sunday", campaign: CampaignKeyProspect,
			setup: func(f *ruleFixture) int64 {
				return f.customer(cust{Prospect: "key", StatusDay: "2026-02-20", Consultant: "李娜"})
			},
			// 2026-03-02 is a Monday.
			held: []string{"2026-03-02", "2026-03-08", "2026-03-09"}, notHeld: []string{"2026-02-19"}},
		{name: "key prospect from the next Monday's list", campaign: CampaignKeyProspect,
			setup: func(f *ruleFixture) int64 {
				return f.customer(cust{Prospect: "key", StatusDay: "2026-03-04"})
			},
			held: []string{"2026-03-09", "2026-03-15"}, notHeld: []string{"2026-03-04", "2026-03-08", "2026-03-03"}},
		{name: "key prospect with an outcome this week", campaign: CampaignKeyProspect,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{Prospect: "key", StatusDay: "2026-02-20"})
				f.outcome(c, "2026-03-04", "no_answer")
				return c
			},
			held: []string{"2026-03-02", "2026-03-03", "2026-03-09"}, notHeld: []string{"2026-03-04", "2026-03-08"}},
		// As of the build day: the prospect as prospect_history knew it that day, not today's status.
		{name: "lost prospect who bought later: held while lost, not after", campaign: CampaignLostProspect,
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-03-01", "B", "李娜")
				f.prospectChange(c, "2026-03-10", "lost", "", "")
				f.prospectChange(c, "2026-03-20", "won", "", "")
				return c
			},
			held: []string{"2026-03-17", "2026-03-19"}, notHeld: []string{"2026-03-09", "2026-03-16", "2026-03-20", "2026-03-24"}},
		{name: "lost prospect loaded as history: lost on a past day, open before", campaign: CampaignLostProspect,
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-02-01", "A", "")
				f.prospectChange(c, "2026-03-10", "lost", "", "api")
				f.prospectChange(c, "2026-04-01", "open", "", "reopen")
				f.prospectChange(c, "2026-04-05", "lost", "", "")
				return c
			},
			held: []string{"2026-03-17", "2026-03-24", "2026-04-12", "2026-04-19"}, notHeld: []string{"2026-03-25", "2026-04-11", "2026-04-20"}},
		{name: "key prospect who became key and then won", campaign: CampaignKeyProspect,
			setup: func(f *ruleFixture) int64 {
				c := f.prospect("open", "2026-02-01", "A", "")
				f.prospectChange(c, "2026-02-25", "key", "H", "")
				f.prospectChange(c, "2026-03-11", "won", "", "")
				return c
			},
			// Key on Monday 03-02 and 03-09; won on 03-11.
			held: []string{"2026-03-02", "2026-03-08", "2026-03-09", "2026-03-10"}, notHeld: []string{"2026-02-24", "2026-02-26", "2026-03-11", "2026-03-16"}},
		{name: "first maintenance by time", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-01-10"})
				return c
			}, // due 2026-07-10
			held: []string{"2026-06-10", "2026-08-09"}, notHeld: []string{"2026-06-09", "2026-08-10"}},
		{name: "first maintenance at a month end", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-08-31"})
				return c
			}, // due 2027-02-28
			held: []string{"2027-01-29", "2027-03-30"}, notHeld: []string{"2027-01-28", "2027-03-31"}},
		{name: "first maintenance due on a leap day", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2027-08-29"})
				return c
			}, // due 2028-02-29
			held: []string{"2028-01-30", "2028-03-30"}, notHeld: []string{"2028-01-29", "2028-03-31"}},
		{name: "first maintenance by one reading", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2026-01-10"})
				f.reading(v, "2026-01-20", 4000) // 400 km a day from delivery: 5000 km on 2026-01-23
				return c
			},
			held: []string{"2026-01-20", "2026-02-22"}, notHeld: []string{"2026-01-19", "2026-02-23"}},
		{name: "first maintenance by two readings", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2026-01-01"})
				f.reading(v, "2026-02-01", 1000)
				f.reading(v, "2026-03-01", 2000) // 1000 km in 28 days: 5000 km on 2026-05-24
				return c
			},
			held: []string{"2026-04-24", "2026-06-23"}, notHeld: []string{"2026-04-23", "2026-06-24"}},
		{name: "first maintenance ends when the car comes in", campaign: CampaignFirstMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2026-01-10"})
				f.visit(v, "2026-06-20", "maintenance", -1)
				return c
			},
			held: []string{"2026-06-10", "2026-06-19"}, notHeld: []string{"2026-06-09", "2026-06-20", "2026-07-10"}},
		{name: "third maintenance by time", campaign: CampaignMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-10"})
				f.visit(v, "2025-07-01", "maintenance", -1)
				f.visit(v, "2026-01-15", "maintenance", -1)
				return c
			}, // due 2027-01-15
			held: []string{"2027-01-01", "2027-02-14"}, notHeld: []string{"2026-12-31", "2027-02-15"}},
		{name: "second maintenance by mileage", campaign: CampaignMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-07-01"})
				f.visit(v, "2026-01-15", "maintenance", 12000)
				f.reading(v, "2026-04-15", 17000) // 5000 km in 90 days: 22000 km on 2026-07-14
				return c
			},
			held: []string{"2026-06-30", "2026-08-13"}, notHeld: []string{"2026-06-29", "2026-08-14"}},
		{name: "maintenance after a leap day visit", campaign: CampaignMaintenance,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2027-06-01"})
				f.visit(v, "2028-02-29", "maintenance", -1)
				return c
			}, // due 2029-02-28
			held: []string{"2029-02-14", "2029-03-30"}, notHeld: []string{"2029-02-13", "2029-03-31"}},
		{name: "warranty", campaign: CampaignWarranty,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2023-09-01", Warranty: "2026-09-01"})
				return c
			},
			held: []string{"2026-07-03", "2026-09-01"}, notHeld: []string{"2026-07-02", "2026-09-02"}},
		{name: "insurance", campaign: CampaignInsurance,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2023-09-01", Insurance: "2026-06-30"})
				return c
			},
			held: []string{"2026-05-16", "2026-06-30"}, notHeld: []string{"2026-05-15", "2026-07-01"}},
		{name: "inspection", campaign: CampaignInspection,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2023-09-01", Inspection: "2026-04-15"})
				return c
			},
			held: []string{"2026-03-16", "2026-04-15"}, notHeld: []string{"2026-03-15", "2026-04-16"}},
		{name: "recall until the work is done", campaign: CampaignRecall,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{})
				f.vehicle(c, veh{Delivery: "2024-01-01", VIN: "LRECALL0000000001"})
				f.recall("R1", "LRECALL0000000001", "2026-03-10", "2026-04-01")
				return c
			},
			held: []string{"2026-03-10", "2026-03-31"}, notHeld: []string{"2026-03-09", "2026-04-01"}},
		{name: "recall of an inactive vehicle", campaign: CampaignRecall,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{})
				f.vehicle(c, veh{Delivery: "2024-01-01", VIN: "LRECALL0000000002", Inactive: true})
				f.recall("R1", "LRECALL0000000002", "2026-03-10", "")
				return c
			},
			notHeld: []string{"2026-03-10"}},
		{name: "complaint every day while open, then a satisfaction call", campaign: CampaignComplaint,
			setup: func(f *ruleFixture) int64 {
				c := f.customer(cust{})
				f.complaint(c, "2026-03-10", "2026-03-15")
				return c
			},
			held:    []string{"2026-03-10", "2026-03-14", "2026-03-18", "2026-03-22"},
			notHeld: []string{"2026-03-09", "2026-03-15", "2026-03-17", "2026-03-23"}},
		{name: "due but not come", campaign: CampaignDueNotCome,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2025-09-15"}) // first maintenance due 2026-03-15
				return c
			},
			held: []string{"2026-04-01", "2026-04-30"}, notHeld: []string{"2026-03-31", "2026-03-01"}},
		{name: "due but not come on the 1st", campaign: CampaignDueNotCome,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2025-09-01"}) // due 2026-03-01
				return c
			},
			held: []string{"2026-03-01", "2026-03-31"}, notHeld: []string{"2026-02-28"}},
		{name: "due but not come until the car comes", campaign: CampaignDueNotCome,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-09-15"})
				f.visit(v, "2026-04-10", "maintenance", -1)
				return c
			},
			held: []string{"2026-04-01", "2026-04-09"}, notHeld: []string{"2026-04-10", "2026-04-30"}},
		{name: "lapsed 3 months after a visit", campaign: CampaignLapsed3m,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				f.visit(v, "2025-06-01", "repair", -1)
				return c
			}, // 90 days on 2025-08-30
			held: []string{"2025-08-30", "2025-09-29"}, notHeld: []string{"2025-08-29", "2025-09-30"}},
		{name: "lapsed 6 months", campaign: CampaignLapsed6m,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				f.visit(v, "2025-06-01", "repair", -1)
				return c
			}, // 180 days on 2025-11-28
			held: []string{"2025-11-28", "2025-12-28"}, notHeld: []string{"2025-11-27", "2025-12-29"}},
		{name: "lapsed 12 months", campaign: CampaignLapsed12m,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				f.visit(v, "2025-06-01", "maintenance", -1)
				return c
			}, // 365 days on 2026-06-01
			held: []string{"2026-06-01", "2026-07-01"}, notHeld: []string{"2026-05-31", "2026-07-02"}},
		{name: "lapsed 24 months across a leap day", campaign: CampaignLapsed24m,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2026-01-01"})
				f.visit(v, "2026-06-01", "repair", -1)
				return c
			}, // 730 days on 2028-05-31 (2028 has 29 February)
			held: []string{"2028-05-31", "2028-06-30"}, notHeld: []string{"2028-05-30", "2028-07-01"}},
		{name: "lapsed from delivery when never back", campaign: CampaignLapsed3m,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				return c
			}, // 90 days on 2025-04-01
			held: []string{"2025-04-01", "2025-05-01"}, notHeld: []string{"2025-03-31", "2025-05-02"}},
		{name: "lapsed ends when the owner comes back", campaign: CampaignLapsed3m,
			setup: func(f *ruleFixture) int64 {
				c, v := owner(f, cust{}, veh{Delivery: "2025-01-01"})
				f.visit(v, "2025-06-01", "repair", -1)
				f.visit(v, "2025-09-10", "repair", -1)
				return c
			},
			held: []string{"2025-08-30", "2025-09-09"}, notHeld: []string{"2025-09-10", "2025-09-29"}},
		{name: "base care premium from the last service", campaign: CampaignBaseCare,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Grade: "premium"}, veh{Delivery: "2026-01-01"})
				return c
			}, // 30 days on 2026-01-31, again on 2026-03-02
			held: []string{"2026-01-31", "2026-02-14", "2026-03-02"}, notHeld: []string{"2026-01-30", "2026-02-15"}},
		{name: "base care general from the last reached call", campaign: CampaignBaseCare,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Grade: "general"}, veh{Delivery: "2025-06-01"})
				f.outcome(c, "2026-01-10", "reached")
				f.outcome(c, "2026-02-01", "no_answer") // not reached: not a contact
				return c
			}, // 90 days after 2026-01-10: 2026-04-10 .. 2026-04-24
			held: []string{"2026-04-10", "2026-04-24"}, notHeld: []string{"2026-04-09", "2026-04-25"}},
		{name: "base care needs a grade", campaign: CampaignBaseCare,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-01-01"})
				return c
			},
			notHeld: []string{"2026-01-31", "2026-04-01"}},
		{name: "birthday of a premium owner", campaign: CampaignBirthday,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Grade: "premium", Birthday: "1980-03-05"}, veh{Delivery: "2020-01-01"})
				return c
			},
			held: []string{"2026-03-05"}, notHeld: []string{"2026-03-04", "2026-03-06"}},
		{name: "birthday of a potential owner", campaign: CampaignBirthday,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Grade: "potential", Birthday: "1980-03-05"}, veh{Delivery: "2020-01-01"})
				return c
			},
			notHeld: []string{"2026-03-05"}},
		{name: "birthday on 29 February", campaign: CampaignBirthday,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Grade: "premium", Birthday: "1984-02-29"}, veh{Delivery: "2020-01-01"})
				return c
			},
			held: []string{"2027-02-28", "2028-02-29"}, notHeld: []string{"2027-03-01", "2028-02-28", "2028-03-01"}},
		{name: "do-not-call number", campaign: CampaignDelivery3Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Phone: "13811112222"}, veh{Delivery: "2026-03-01"})
				f.dnc("13811112222")
				return c
			},
			notHeld: []string{"2026-03-04"}},
		{name: "invalid number", campaign: CampaignDelivery3Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{Invalid: true}, veh{Delivery: "2026-03-01"})
				return c
			},
			notHeld: []string{"2026-03-04"}},
		{name: "inactive vehicle", campaign: CampaignDelivery3Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-03-01", Inactive: true})
				return c
			},
			notHeld: []string{"2026-03-04"}},
		{name: "open complaint suppresses the other campaigns", campaign: CampaignDelivery3Day,
			setup: func(f *ruleFixture) int64 {
				c, _ := owner(f, cust{}, veh{Delivery: "2026-03-01"})
				f.complaint(c, "2026-03-05", "2026-03-07")
				return c
			},
			held: []string{"2026-03-04", "2026-03-07", "2026-03-08"}, notHeld: []string{"2026-03-05", "2026-03-06"}},
	}
}

// TestRules checks every rule on a fixed calendar three ways: each day built on fresh data,
// all days built in calendar order on one dealer, and all days built in reverse order.
func TestRules(t *testing.T) {
	db := storetest.New(t)
	var seq atomic.Int64
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runRuleCase(t, db, &seq, tc)
		})
	}
}

// runRuleCase checks one rule case: each day built on fresh data, all days built in
// calendar order on one dealer, and all days built in reverse order.
func runRuleCase(t *testing.T, db *pgxpool.Pool, seq *atomic.Int64, tc ruleCase) {
	days := append(append([]string{}, tc.held...), tc.notHeld...)
	sort.Strings(days)
	want := map[string]bool{}
	for _, d := range tc.held {
		want[d] = true
	}
	// Fresh data for each day.
	for _, day := range days {
		f := newRuleDealer(t, db, seq)
		c := tc.setup(f)
		f.build(day)
		require.Equal(t, want[day], f.held(day, c, tc.campaign), "fresh build as of %s", day)
	}
	// Calendar order, then reverse order, on one dealer each.
	for _, order := range []string{"forward", "reverse"} {
		f := newRuleDealer(t, db, seq)
		c := tc.setup(f)
		seqDays := append([]string{}, days...)
		if order == "reverse" {
			sort.Sort(sort.Reverse(sort.StringSlice(seqDays)))
		}
		for _, day := range seqDays {
			f.build(day)
			require.Equal(t, want[day], f.held(day, c, tc.campaign), "%s build as of %s", order, day)
		}
		for _, day := range days {
			require.Equal(t, want[day], f.held(day, c, tc.campaign), "%s builds, listed again as of %s", order, day)
		}
	}
}

func TestDefaultRulesAreSettings(t *testing.T) {
	r := DefaultRules()
	for _, c := range Campaigns() {
		require.True(t, r.Enabled(c), c)
		require.NotZero(t, r.Get(c+"_priority"), "%s has a priority", c)
	}
	require.Equal(t, 6, r.Get("first_maintenance_months"))
	require.Equal(t, 5000, r.Get("first_maintenance_km"))
	require.Equal(t, 12, r.Get("maintenance_months"))
	require.Equal(t, 10000, r.Get("maintenance_km"))
	require.Error(t, r.Set("no_such_setting", 1))
	require.Error(t, r.Set("birthday_enabled", 2))
}
