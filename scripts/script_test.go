package scripts

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// campaignCodes are the campaign codes of docs/domain.md's campaign table.
var campaignCodes = []string{"complaint", "same_day_visit", "recall", "lost_prospect", "key_prospect",
	"first_maintenance", "delivery_3day", "care_15day", "post_service", "sales_followup", "maintenance",
	"warranty", "insurance", "inspection", "due_not_come", "lapsed_3m", "lapsed_6m", "lapsed_12m",
	"lapsed_24m", "base_care", "birthday"}

func TestEveryCampaignHasAScript(t *testing.T) {
	require.ElementsMatch(t, campaignCodes, Campaigns())
	for _, c := range campaignCodes {
		t.Run(c, func(t *testing.T) {
			s, err := Builtin(c)
			require.NoError(t, err)
			require.Equal(t, c+"@0", s.Version)
			require.NotEmpty(t, s.Questions)
			keys := map[string]bool{}
			for _, o := range s.Objections {
				keys[o.Key] = true
			}
			for _, k := range []string{"price_high", "cannot_afford", "look_around", "not_now", "phone_number"} {
				require.True(t, keys[k], "objection %s", k)
			}
			r, err := Render(Vars{Name: "王建国", Title: "先生", Plate: "粤A12345", Model: "雅阁", Dealer: "广州某某4S店", Agent: "小李"}, s)
			require.NoError(t, err)
			require.Contains(t, string(r.Opening)+string(r.Closing)+string(r.Reminders[0].Text), "王先生")
		})
	}
}

func TestRenderEscapesVariables(t *testing.T) {
	s, err := Builtin("first_maintenance")
	require.NoError(t, err)
	r, err := Render(Vars{Name: "<script>alert(1)</script>", Plate: `"><img src=x>`, Dealer: "A&B"}, s)
	require.NoError(t, err)
	all := string(r.Opening) + string(r.Reminders[0].Text) + string(r.Closing)
	require.NotContains(t, all, "<script>")
	require.NotContains(t, all, "<img")
	require.Contains(t, all, "&lt;script&gt;")
	require.Contains(t, all, "A&amp;B")
}

func TestSalute(t *testing.T) {
	for _, tc := range []struct{ name, title, want string }{
		{"王建国", "先生", "王先生"},
		{"李娜", "女士", "李女士"},
		{"欧阳明远", "先生", "欧阳先生"},
		{"张三", "", "张三"},
	} {
		require.Equal(t, tc.want, Salute(tc.name, tc.title))
	}
}

func TestMerge(t *testing.T) {
	a, err := Builtin("complaint")
	require.NoError(t, err)
	b, err := Builtin("maintenance")
	require.NoError(t, err)
	c, err := Builtin("post_service")
	require.NoError(t, err)
	m := Merge(a, b, c)
	require.Equal(t, "complaint@0+maintenance@0+post_service@0", m.Version)
	require.Equal(t, a.Opening, m.Opening)
	require.Contains(t, m.Reminder, b.Reminder)
	ids := map[string]int{}
	for _, q := range m.Questions {
		ids[q.ID]++
	}
	for id, n := range ids {
		require.Equal(t, 1, n, "question %s", id)
	}
	require.Contains(t, ids, "satisfaction")
	require.Contains(t, ids, "complaint_resolved")
	r, err := Render(Vars{Name: "李娜", Title: "女士"}, a, b, c)
	require.NoError(t, err)
	require.Len(t, r.Reminders, 3)
	require.Equal(t, m.Version, r.Version)
}

func TestParseRejectsBadScripts(t *testing.T) {
	good, err := BuiltinSource("birthday")
	require.NoError(t, err)
	for _, tc := range []struct{ name, src, want string }{
		{"unknown variable", strings.Replace(string(good), "{{.Dealer}}", "{{.Phone}}", 1), "Phone"},
		{"bad template", strings.Replace(string(good), "{{.Dealer}}", "{{.Dealer", 1), "opening"},
		{"other campaign", strings.Replace(string(good), "campaign: birthday", "campaign: recall", 1), "expected \"birthday\""},
		{"bad kind", strings.Replace(string(good), "kind: yesno", "kind: stars", 1), "kind \"stars\""},
		{"unknown field", string(good) + "\nextra: 1\n", "extra"},
		{"empty closing", strings.Replace(string(good), "closing: |\n  不打扰您过生日了，再次祝您生日快乐，再见！", "closing: \"\"", 1), "closing is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("birthday", []byte(tc.src))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLibraryVersions(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d1, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "一号店"})
	require.NoError(t, err)
	d2, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D2", Name: "二号店"})
	require.NoError(t, err)
	lib := NewLibrary(db)

	s, err := lib.Current(ctx, d1.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, "insurance@0", s.Version)

	src, n, err := lib.Source(ctx, d1.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, 0, n)
	edited := strings.Replace(string(src), "温馨提醒", "特别提醒", 1)
	saved, err := lib.Save(ctx, d1.ID, "insurance", []byte(edited), "wording", 0)
	require.NoError(t, err)
	require.Equal(t, "insurance@1", saved.Version)
	saved2, err := lib.Save(ctx, d1.ID, "insurance", []byte(strings.Replace(edited, "特别提醒", "再次提醒", 1)), "", 0)
	require.NoError(t, err)
	require.Equal(t, "insurance@2", saved2.Version)

	cur, err := lib.Current(ctx, d1.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, "insurance@2", cur.Version)
	require.Contains(t, cur.Reminder, "再次提醒")

	// A call made with version 1 still reads version 1.
	old, err := lib.Version(ctx, d1.ID, "insurance@1")
	require.NoError(t, err)
	require.Contains(t, old.Reminder, "特别提醒")

	// The other dealer is untouched.
	other, err := lib.Current(ctx, d2.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, "insurance@0", other.Version)

	_, err = lib.Save(ctx, d1.ID, "insurance", []byte("campaign: insurance\n"), "", 0)
	require.ErrorContains(t, err, "title is empty")
	_, err = lib.Save(ctx, d1.ID, "no_such", []byte(edited), "", 0)
	require.ErrorIs(t, err, ErrUnknownCampaign)

	got, err := lib.ForTask(ctx, d1.ID, []string{"complaint", "unknown_thing", "insurance"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "insurance@2", got[1].Version)
}
