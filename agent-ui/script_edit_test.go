package agentui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	inputRe    = regexp.MustCompile(`<input name="([^"]+)" value="([^"]*)"`)
	textareaRe = regexp.MustCompile(`(?s)<textarea name="([^"]+)"[^>]*>(.*?)</textarea>`)
	selectRe   = regexp.MustCompile(`(?s)<select name="([^"]+)">(.*?)</select>`)
	selectedRe = regexp.MustCompile(`<option value="([^"]+)" selected>`)
)

// scriptForm fetches the script editor and returns its form's values, as a browser
// would post them.
func (b *bundle) scriptForm(t *testing.T, c *http.Client, campaign string) url.Values {
	t.Helper()
	resp, err := c.Get(b.srv.URL + "/scripts/" + campaign)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := string(raw)
	v := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range textareaRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range selectRe.FindAllStringSubmatch(page, -1) {
		if s := selectedRe.FindStringSubmatch(m[2]); s != nil {
			v.Set(m[1], s[1])
		}
	}
	v.Set("csrf", csrfRe.FindStringSubmatch(page)[1])
	return v
}

func (b *bundle) scriptVersions(t *testing.T, campaign string) int {
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM script_versions WHERE dealer_id = $1 AND campaign = $2`, b.dealer.ID, campaign).Scan(&n))
	return n
}

func TestScriptEditorForm(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	form := b.scriptForm(t, d, "complaint")
	require.Contains(t, form.Get("opening"), "{称呼}")
	require.Equal(t, "complaint_resolved", form.Get("q1_id"))
	require.Equal(t, "choice", form.Get("q1_kind"))
	require.Equal(t, "已解决 2\n部分解决 1\n还没有解决 0", form.Get("q1_options"))
	require.Equal(t, "angry", form.Get("o1_key"))

	// Edit a part, delete the second question, add one in the empty group, save.
	form.Set("opening", "您好，{称呼}，我是{店名}的{坐席}。")
	form.Set("q2_del", "1")
	form.Set("q4_id", "call_back_ok")
	form.Set("q4_text", "方便的话，处理完再给您回个电话可以吗？")
	form.Set("q4_kind", "yesno")
	form.Set("note", "改开场白")
	resp, err := d.PostForm(b.srv.URL+"/scripts/complaint", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/scripts/complaint?saved=complaint%401", resp.Header.Get("Location"))

	s, err := b.console.h.deps.Scripts.Current(context.Background(), b.dealer.ID, "complaint")
	require.NoError(t, err)
	require.Equal(t, "您好，{称呼}，我是{店名}的{坐席}。", s.Opening)
	var ids []string
	for _, q := range s.Questions {
		ids = append(ids, q.ID)
	}
	require.Equal(t, []string{"complaint_resolved", "complaint_note", "call_back_ok"}, ids)
	require.Equal(t, "angry", s.Objections[0].Key)
}

// TestScriptEditorRefusesTemplates is issue 12's attack through the console: a loop in a
// script is refused with a Chinese message next to its field, and nothing is stored.
func TestScriptEditorRefusesTemplates(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	form := b.scriptForm(t, d, "insurance")
	form.Set("q1_text", "{{range 100000}}{{range 100000}}满意吗{{end}}{{end}}")
	form.Set("closing", "再见，{电话}")
	resp, err := d.PostForm(b.srv.URL+"/scripts/insurance", form)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	page := htmlUnescape(string(raw))
	require.Contains(t, page, `id="script-problems"`)
	require.Contains(t, page, "第 1 个问题：不能使用 {{ }} 模板写法")
	require.Contains(t, page, "结束语：第 4 个字处的 {电话} 不是可用的变量")
	// What the director typed is kept in the form.
	require.Contains(t, page, "再见，{电话}</textarea>")
	require.Equal(t, 0, b.scriptVersions(t, "insurance"))
}

func TestScriptPreview(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	form := b.scriptForm(t, d, "first_maintenance")
	preview := func(v url.Values) (out struct {
		Problems []struct{ Field, Msg string }
		Preview  *struct{ Opening, Closing string }
	}) {
		resp, err := d.PostForm(b.srv.URL+"/scripts/first_maintenance/preview", v)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	form.Set("opening", "您好，{称呼}，您的爱车[（{车牌}）]还好吗？<img src=x onerror=alert(1)>")
	got := preview(form)
	require.Empty(t, got.Problems)
	require.Equal(t, "您好，王先生，您的爱车（粤A12345）还好吗？<img src=x onerror=alert(1)>", got.Preview.Opening)
	form.Set("sample", "partial")
	require.Equal(t, "您好，王先生，您的爱车还好吗？<img src=x onerror=alert(1)>", preview(form).Preview.Opening)

	form.Set("q2_del", "1")
	form.Set("q3_text", "{{.Phone}}")
	got = preview(form)
	require.Nil(t, got.Preview)
	require.Len(t, got.Problems, 1)
	require.Equal(t, "q3.text", got.Problems[0].Field, "numbered as the form's groups, not the script's")
	require.Contains(t, got.Problems[0].Msg, "第 3 个问题：不能使用 {{ }} 模板写法")
	require.Equal(t, 0, b.scriptVersions(t, "first_maintenance"))
}

func TestPagesForbidBaseURI(t *testing.T) {
	b := setup(t, nil)
	d := b.login(t, "director1")
	resp, err := d.Get(b.srv.URL + "/scripts/insurance")
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "base-uri 'none'")
	require.True(t, strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'"))
}
