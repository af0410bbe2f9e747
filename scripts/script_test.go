package scripts

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// campaignCodes are the campaign codes of docs/domain.md's campaign table.
var campaignCodes = []string{"complaint", "same_day_visit", "recall", "lost_prospect", "key_prospect",
	"first_maintenance", "no_show", "delivery_3day", "care_15day", "post_service", "sales_followup", "maintenance",
	"warranty", "insurance", "inspection", "due_not_come", "lapsed_3m", "lapsed_6m", "lapsed_12m",
	"lapsed_24m", "base_care", "birthday", "prospect_followup"}

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

func TestRenderIsPlainText(t *testing.T) {
	s, err := Builtin("first_maintenance")
	require.NoError(t, err)
	long := strings.Repeat("长", 500)
	r, err := Render(Vars{Name: "<script>alert(1)</script>", Title: "先生", Plate: "粤A\n<img src=x onerror=alert(1)>", Dealer: long}, s)
	require.NoError(t, err)
	all := r.Opening + r.Reminders[0].Text + r.Closing
	// Values go in as they are (the pages escape them), on one line, cut to MaxValueRunes.
	require.Contains(t, all, "<先生")
	require.Contains(t, all, "粤A <img src=x onerror=alert(1)>")
	require.Contains(t, all, strings.Repeat("长", MaxValueRunes)+"售后")
	require.NotContains(t, all, strings.Repeat("长", MaxValueRunes+1))
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
	opening := func(text string) string {
		s, err := Decode(good)
		require.NoError(t, err)
		s.Opening = text
		b, err := s.Encode()
		require.NoError(t, err)
		return string(b)
	}
	for _, tc := range []struct{ name, src, field, want string }{
		{"a loop", opening("{{range 100000}}很长很长{{end}}"), "opening", "不能使用 {{ }} 模板写法"},
		{"a function", opening(`{{printf "%0999999d" 1}}`), "opening", "不能使用 {{ }} 模板写法"},
		{"old variable", opening("您好，{{.Salutation}}"), "opening", "只能插入变量，例如 {称呼}"},
		{"unknown variable", opening("您好，{电话}"), "opening", "{电话} 不是可用的变量；可用的变量有：{称呼}"},
		{"unclosed variable", opening("您好，{称呼，再见"), "opening", "第 4 个字处的 { 没有对应的 }"},
		{"stray brace", opening("您好}"), "opening", "第 3 个字处多了一个 }"},
		{"unclosed optional", opening("您的爱车[（{车牌}）"), "opening", "的 [ 没有对应的 ]"},
		{"nested optional", opening("[{车牌}[{车型}]]"), "opening", "不能再套 [ ]"},
		{"optional without variable", opening("[请带上行驶证]"), "opening", "可选部分 [ ] 里要有变量"},
		{"two bars", opening("[{车型}|车|车子]"), "opening", "只能有一个 |"},
		{"too long", opening(strings.Repeat("字", MaxTextRunes+1)), "opening", "太长了"},
		{"too many variables", opening(strings.Repeat("{称呼}", MaxVariablesPerText+1)), "opening", "一段最多 40 个"},
		{"empty closing", strings.Replace(string(good), "closing: |\n  不打扰您过生日了，再次祝您生日快乐，再见！", "closing: \"\"", 1), "closing", "结束语没有填写"},
		{"variable in title", strings.Replace(string(good), "title: 生日祝福", "title: 生日{称呼}", 1), "title", "话术名称里不能有"},
		{"other campaign", strings.Replace(string(good), "campaign: birthday", "campaign: recall", 1), "", "这份话术属于 \"recall\""},
		{"bad kind", strings.Replace(string(good), "kind: yesno", "kind: stars", 1), "q1.kind", "类型 \"stars\" 不对"},
		{"unknown field", string(good) + "\nextra: 1\n", "", "话术文本格式有误"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("birthday", []byte(tc.src))
			require.Error(t, err)
			var ps Problems
			require.ErrorAs(t, err, &ps)
			require.Equal(t, tc.field, ps[0].Field)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestTextSyntax(t *testing.T) {
	full := Vars{Salutation: "王先生", Plate: "粤A12345", Model: "雅阁", DueDay: "2026年6月1日"}
	prospect := Vars{Salutation: "李女士"}
	for _, tc := range []struct{ src, full, prospect string }{
		{"您好，{称呼}", "您好，王先生", "您好，李女士"},
		{"您的爱车[（{车牌}）]快到保养了", "您的爱车（粤A12345）快到保养了", "您的爱车快到保养了"},
		{"购买[{车型}|爱车]", "购买雅阁", "购买爱车"},
		{"[涉及车辆：{车牌} {车型}。]", "涉及车辆：粤A12345 雅阁。", ""},
		{"价格 100 | 200 元", "价格 100 | 200 元", "价格 100 | 200 元"},
	} {
		p, err := parseText(tc.src)
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.full, p.render(full), tc.src)
		require.Equal(t, tc.prospect, p.render(prospect), tc.src)
	}
}

func TestRenderedSizeIsCapped(t *testing.T) {
	// The worst a text can do: as long as allowed, every variable it may use, every value
	// far too long.
	src := strings.Repeat("{客户姓名}", MaxVariablesPerText)
	src += strings.Repeat("字", MaxTextRunes-utf8.RuneCountInString(src))
	p, err := parseText(src)
	require.NoError(t, err)
	out := p.render(Vars{Name: strings.Repeat("名", 100000)})
	require.LessOrEqual(t, utf8.RuneCountInString(out), MaxRenderedRunes)
	require.Contains(t, out, strings.Repeat("名", 2*MaxValueRunes))
}

func TestConvertLegacy(t *testing.T) {
	for _, tc := range []struct{ src, want, problem string }{
		{"您好，{{.Salutation}}，我是{{.Dealer}}的{{.Agent}}。", "您好，{称呼}，我是{店名}的{坐席}。", ""},
		{"您的爱车{{if .Plate}}（{{.Plate}}）{{end}}快到了", "您的爱车[（{车牌}）]快到了", ""},
		{"购买{{if .Model}}{{.Model}}{{else}}爱车{{end}}", "购买[{车型}|爱车]", ""},
		{"{{range 100000}}x{{end}}", "", "不允许的写法"},
		{`{{printf "%d" 1}}`, "", "旧模板无法读取"},
		{"{{.Phone}}", "", ".Phone 不是可用的变量"},
		{"{{if .Plate}}请带上行驶证{{end}}", "", "没有用到 .Plate"},
		{"{{if .Plate}}{{if .Model}}{{.Model}}{{end}}{{end}}", "", "套在一起的 if"},
		{"{{template \"x\"}}", "", "不允许的写法"},
	} {
		got, err := convertLegacy(tc.src)
		if tc.problem != "" {
			require.ErrorContains(t, err, tc.problem, tc.src)
			continue
		}
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.want, got)
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
	edit, err := Decode(src)
	require.NoError(t, err)
	edit.Reminder = strings.Replace(edit.Reminder, "温馨提醒", "特别提醒", 1)
	saved, err := lib.Save(ctx, d1.ID, "insurance", edit, "wording", 0)
	require.NoError(t, err)
	require.Equal(t, "insurance@1", saved.Version)
	edit.Reminder = strings.Replace(edit.Reminder, "特别提醒", "再次提醒", 1)
	saved2, err := lib.Save(ctx, d1.ID, "insurance", edit, "", 0)
	require.NoError(t, err)
	require.Equal(t, "insurance@2", saved2.Version)

	cur, err := lib.Current(ctx, d1.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, "insurance@2", cur.Version)
	require.Contains(t, cur.Reminder, "再次提醒")
	// Only the script's own objection answers are stored, not the shared ones.
	stored, _, err := lib.Source(ctx, d1.ID, "insurance")
	require.NoError(t, err)
	require.NotContains(t, string(stored), "price_high")

	// A call made with version 1 still reads version 1.
	old, err := lib.Version(ctx, d1.ID, "insurance@1")
	require.NoError(t, err)
	require.Contains(t, old.Reminder, "特别提醒")

	// The other dealer is untouched.
	other, err := lib.Current(ctx, d2.ID, "insurance")
	require.NoError(t, err)
	require.Equal(t, "insurance@0", other.Version)

	_, err = lib.Save(ctx, d1.ID, "insurance", &Script{Campaign: "insurance"}, "", 0)
	require.ErrorContains(t, err, "话术名称没有填写")
	_, err = lib.Save(ctx, d1.ID, "no_such", edit, "", 0)
	require.ErrorIs(t, err, ErrUnknownCampaign)

	got, err := lib.ForTask(ctx, d1.ID, []string{"complaint", "unknown_thing", "insurance"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "insurance@2", got[1].Version)
}

// TestSaveRefusesTemplates is the attack of issue 12: a director saves a script whose
// text loops (a core pinned for every dealer at each call) or carries markup. The loop is
// refused and nothing is stored; markup is kept as plain text (the pages show it as text).
func TestSaveRefusesTemplates(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "一号店"})
	require.NoError(t, err)
	lib := NewLibrary(db)
	edit, err := Builtin("insurance")
	require.NoError(t, err)
	own, err := Decode(mustSource(t, "insurance"))
	require.NoError(t, err)
	for _, attack := range []string{
		"{{range 100000}}{{range 100000}}重复{{end}}{{end}}",
		"{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}",
		`{{printf "%099999999d" 1}}`,
	} {
		own.Opening = attack
		_, err := lib.Save(ctx, d.ID, "insurance", own, "", 0)
		var ps Problems
		require.ErrorAs(t, err, &ps, attack)
		require.Equal(t, "opening", ps[0].Field)
		require.Contains(t, ps[0].Msg, "开场白：不能使用 {{ }} 模板写法")
	}
	versions, err := q.ListScriptVersions(ctx, store.ListScriptVersionsParams{DealerID: d.ID, Campaign: "insurance"})
	require.NoError(t, err)
	require.Empty(t, versions)

	own.Opening = `<script>alert(1)</script><img src=x onerror=alert(2)>{称呼}`
	saved, err := lib.Save(ctx, d.ID, "insurance", own, "", 0)
	require.NoError(t, err)
	r, err := Render(Vars{Salutation: "王先生"}, saved)
	require.NoError(t, err)
	require.Equal(t, `<script>alert(1)</script><img src=x onerror=alert(2)>王先生`, r.Opening)
	require.NotEqual(t, edit.Opening, r.Opening)
}

// TestStoredLegacyVersions: versions saved in the old template syntax keep their words;
// one that cannot be converted is not used for calls (the embedded script is).
func TestStoredLegacyVersions(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	d, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "D1", Name: "一号店"})
	require.NoError(t, err)
	lib := NewLibrary(db)
	legacy := func(opening string) {
		own, err := Decode(mustSource(t, "maintenance"))
		require.NoError(t, err)
		own.Opening = opening
		b, err := own.Encode()
		require.NoError(t, err)
		_, err = q.InsertScriptVersion(ctx, store.InsertScriptVersionParams{DealerID: d.ID, Campaign: "maintenance", Body: string(b)})
		require.NoError(t, err)
	}
	legacy("您好，{{.Salutation}}，感谢您{{if .LastVisit}}在 {{.LastVisit}} {{end}}到店，{{if .Model}}{{.Model}}{{else}}爱车{{end}}还好吗？")
	got, err := lib.ForTask(ctx, d.ID, []string{"maintenance"})
	require.NoError(t, err)
	require.Equal(t, "maintenance@1", got[0].Version)
	r, err := Render(Vars{Salutation: "王先生", LastVisit: "2026年5月3日"}, got...)
	require.NoError(t, err)
	require.Equal(t, "您好，王先生，感谢您在 2026年5月3日 到店，爱车还好吗？", r.Opening)
	src, n, err := lib.Source(ctx, d.ID, "maintenance")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	shown, err := DecodeStored(src)
	require.NoError(t, err)
	require.Equal(t, "您好，{称呼}，感谢您[在 {上次到店} ]到店，[{车型}|爱车]还好吗？", shown.Opening)

	legacy("{{range 100000}}{{.Salutation}}{{end}}")
	got, err = lib.ForTask(ctx, d.ID, []string{"maintenance"})
	require.NoError(t, err)
	require.Equal(t, "maintenance@0", got[0].Version)
	_, err = lib.Version(ctx, d.ID, "maintenance@2")
	require.ErrorContains(t, err, "不允许的写法")
}

func mustSource(t *testing.T, campaign string) []byte {
	t.Helper()
	b, err := BuiltinSource(campaign)
	require.NoError(t, err)
	return b
}

// TestSalesScriptsAnswerSalesObjections: the sales campaigns' scripts answer the sales
// objections of the seeds (price against other brands with the three-step persuasion,
// "just looking", "not now"), not the after-sales answers; the after-sales ones keep theirs.
func TestSalesScriptsAnswerSalesObjections(t *testing.T) {
	answer := func(campaign, key string) string {
		s, err := Builtin(campaign)
		require.NoError(t, err)
		for _, o := range s.Objections {
			if o.Key == key {
				return o.Answer
			}
		}
		t.Fatalf("%s has no objection %s", campaign, key)
		return ""
	}
	for _, c := range SalesCampaigns() {
		require.Contains(t, answer(c, "price_high"), "品牌", c)
		require.Contains(t, answer(c, "price_high"), "三步说服", c)
		require.Contains(t, answer(c, "look_around"), "试驾", c)
		require.Contains(t, answer(c, "not_now"), "试驾", c)
		require.NotContains(t, answer(c, "price_high"), "原厂配件", c)
	}
	require.Contains(t, answer("first_maintenance", "price_high"), "原厂配件")
	// The showroom visitor's call of the same evening is a sales call.
	require.Contains(t, SalesCampaigns(), "same_day_visit")
	require.Contains(t, answer("same_day_visit", "price_high"), "三步说服")
	require.Contains(t, answer("same_day_visit", "look_around"), "试驾")
}
