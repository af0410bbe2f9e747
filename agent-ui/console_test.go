package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stretchr/testify/require"
)

func TestMaskPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"13900000001", "139****0001"},
		{"02012345678", "020****5678"},
		{"1234567", "1*****7"},
		{"12", "**"},
	} {
		require.Equal(t, tc.want, maskPhone(tc.in), tc.in)
	}
}

func TestLoginFailuresAreRateLimited(t *testing.T) {
	b := setup(t, func(c *Config) { c.LoginLimit = 3 })
	c := b.client(t)
	for i := 0; i < 3; i++ {
		resp := b.postLogin(t, c, "agent1", "wrong-password")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	// Locked out, even with the right password.
	resp := b.postLogin(t, c, "agent1", testPassword)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	// Another user is not locked out.
	resp = b.postLogin(t, b.client(t), "agent2", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestLoginSetsSecureSessionCookie(t *testing.T) {
	b := setup(t, func(c *Config) { c.SecureCookies = true })
	c := b.client(t)
	tok := b.csrfOf(t, c, "/login")
	resp, err := c.PostForm(b.srv.URL+"/login", url.Values{"csrf": {tok}, "username": {"agent1"}, "password": {testPassword}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var ck *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == sessionCookie {
			ck = x
		}
	}
	require.NotNil(t, ck)
	require.True(t, ck.HttpOnly)
	require.True(t, ck.Secure)
	require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	// Only the token's hash is stored.
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM console_sessions WHERE token_hash = $1`, hashToken(ck.Value)).Scan(&n))
	require.Equal(t, 1, n)
}

func TestFormsNeedCSRF(t *testing.T) {
	b := setup(t, nil)
	// Login without the token.
	c := b.client(t)
	resp, err := c.PostForm(b.srv.URL+"/login", url.Values{"username": {"agent1"}, "password": {testPassword}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	d := b.login(t, "director1")
	form := b.scriptForm(t, d, "insurance")
	tok := form.Get("csrf")
	form.Set("reminder", strings.Replace(form.Get("reminder"), "温馨提醒", "特别提醒", 1))
	for _, tc := range []struct {
		name, csrf string
		want       int
	}{
		{"missing", "", http.StatusForbidden},
		{"wrong", strings.Repeat("0", 64), http.StatusForbidden},
		{"right", tok, http.StatusSeeOther},
	} {
		form.Set("csrf", tc.csrf)
		resp, err := d.PostForm(b.srv.URL+"/scripts/insurance", form)
		require.NoError(t, err, tc.name)
		resp.Body.Close()
		require.Equal(t, tc.want, resp.StatusCode, tc.name)
	}
	require.Equal(t, 1, b.scriptVersions(t, "insurance"))

	// A broken script is refused with the problem shown.
	form.Set("csrf", tok)
	form.Set("title", "")
	resp, err = d.PostForm(b.srv.URL+"/scripts/insurance", form)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, string(raw), "话术名称没有填写")
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&", "&quot;", `"`)
	return r.Replace(s)
}

func TestAccessRules(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	get := func(c *http.Client, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	cust := func(name string) string { return "/customers/" + strconv.FormatInt(b.customers[name], 10) }

	for _, tc := range []struct {
		name, path string
		want       int
	}{
		{"a customer of no task of theirs", cust("王建国"), http.StatusForbidden},
		{"other dealer's customer", cust("外店客户"), http.StatusNotFound},
		{"another agent's callback", cust("赵回电"), http.StatusForbidden},
		{"director page", "/wallboard", http.StatusForbidden},
		{"record list", "/calls", http.StatusForbidden},
		{"script editor", "/scripts", http.StatusForbidden},
	} {
		code, _ := get(a1, tc.path)
		require.Equal(t, tc.want, code, tc.name)
	}
	// The customer of the task on the agent's screen.
	_, err := b.db.Exec(context.Background(), `UPDATE call_tasks SET taken_by = $1, taken_at = now() WHERE id = $2`, b.users["agent1"].ID, b.tasks["王建国"])
	require.NoError(t, err)
	code, body := get(a1, cust("王建国"))
	require.Equal(t, http.StatusOK, code)
	code, _ = get(b.login(t, "agent2"), cust("王建国"))
	require.Equal(t, http.StatusForbidden, code, "not another agent's")
	require.Contains(t, body, `"phone":"139****0001"`)
	require.NotContains(t, body, "13900000001")

	// The director sees the number and the director pages.
	d := b.login(t, "director1")
	code, body = get(d, cust("王建国"))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "13900000001")
	for _, p := range []string{"/wallboard", "/director/calls", "/scripts", "/scripts/recall"} {
		code, _ := get(d, p)
		require.Equal(t, http.StatusOK, code, p)
	}

	// Without a session: pages redirect to the login, data is refused.
	anon := b.client(t)
	resp, err := anon.Get(b.srv.URL + "/console")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	code, _ = get(anon, cust("王建国"))
	require.Equal(t, http.StatusUnauthorized, code)

	// Who opened which customer is audited.
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'customer.open' AND user_id = $1 AND subject_id = $2`,
		b.users["agent1"].ID, b.customers["王建国"]).Scan(&n))
	require.Equal(t, 1, n)
}

func TestWebSocketRefusals(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	for _, tc := range []struct {
		name   string
		client *http.Client
		origin string
		query  string
		want   int
	}{
		{"no session", nil, b.srv.URL, "", http.StatusUnauthorized},
		{"foreign origin", a1, "https://evil.example", "", http.StatusForbidden},
		{"no origin", a1, "", "", http.StatusForbidden},
		{"agent on the wallboard", a1, b.srv.URL, "?view=wallboard", http.StatusForbidden},
	} {
		_, resp, err := b.dialWS(t, tc.client, tc.origin, tc.query)
		require.Error(t, err, tc.name)
		require.NotNil(t, resp, tc.name)
		require.Equal(t, tc.want, resp.StatusCode, tc.name)
	}
	ws := b.agentWS(t, a1)
	hello := ws.until("hello", func(m map[string]any) bool { return m["type"] == "hello" })
	require.NotEmpty(t, hello["outcome_codes"])
}

func TestStaticFilesAtChecksumURLs(t *testing.T) {
	b := setup(t, nil)
	u := b.console.h.static.urls["console.js"]
	require.Regexp(t, `^/static/[0-9a-f]{16}/console\.js$`, u)
	resp, err := http.Get(b.srv.URL + u)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Cache-Control"), "max-age=31536000")
	resp, err = http.Get(b.srv.URL + "/static/0000000000000000/console.js")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestLanguageSwitch(t *testing.T) {
	b := setup(t, nil)
	c := b.login(t, "agent1")
	page := func() string {
		resp, err := c.Get(b.srv.URL + "/console")
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	require.Contains(t, page(), "外呼工作台")
	tok := b.csrfOf(t, c, "/console")
	resp, err := c.PostForm(b.srv.URL+"/lang", url.Values{"csrf": {tok}, "lang": {"en"}, "next": {"/console"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, page(), "Hang up")
}

// outcomeRows counts the saved outcomes of a task.
func outcomeRows(t *testing.T, b *bundle, taskID int64) int {
	var n int
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT count(*) FROM call_outcomes WHERE task_id = $1`, taskID).Scan(&n))
	return n
}

func TestAgentWorksATask(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	d := b.login(t, "director1")
	wb, _, err := b.dialWS(t, d, b.srv.URL, "?view=wallboard")
	require.NoError(t, err)
	wb.until("wallboard", func(m map[string]any) bool { return m["type"] == "wallboard" })

	ws := b.agentWS(t, a1)
	ws.until("offline state", func(m map[string]any) bool { return m["type"] == "state" && m["status"] == "offline" })
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	st := ws.until("a task in preview", isState(phasePreview))
	task := taskOf(st)
	require.EqualValues(t, b.tasks["王建国"], task["id"])
	card := task["card"].(map[string]any)
	require.Equal(t, "139****0001", card["phone"])
	require.Equal(t, "王先生", card["salutation"])
	script := task["script"].(map[string]any)
	require.Equal(t, "complaint@0+maintenance@0", script["version"])
	require.Contains(t, script["opening"], "王先生")
	require.Contains(t, script["opening"], "小李")
	raw, _ := json.Marshal(st)
	require.NotContains(t, string(raw), "13900000001", "an agent never receives the number")

	// The director sees the agent with the task.
	wb.until("agent in preview on the wallboard", func(m map[string]any) bool {
		list, _ := m["agents"].([]any)
		for _, x := range list {
			if a, _ := x.(map[string]any); m["type"] == "agents" && a["username"] == "agent1" && a["phase"] == phasePreview {
				return true
			}
		}
		return false
	})

	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	require.Equal(t, "13900000001", call.req.Number)
	require.Equal(t, "agent1", call.req.AgentUsername)
	call.events <- CallEvent{State: CallRinging}
	ws.until("ringing", func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c["state"] == CallRinging
	})
	call.events <- CallEvent{State: CallAnswered, AttemptID: 0}
	ws.until("answered", func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c["state"] == CallAnswered
	})
	ws.send(map[string]any{"type": "hangup"})
	require.Eventually(t, func() bool {
		b.dialer.mu.Lock()
		defer b.dialer.mu.Unlock()
		return len(b.dialer.hung) == 1
	}, 5e9, 1e7)
	call.events <- CallEvent{State: CallEnded, Result: "answered", HangupBy: "agent"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))

	// A callback needs a time; the error names the problem and nothing is saved.
	ws.send(map[string]any{"type": "outcome", "client_id": "c0-0123456789", "task_id": b.tasks["王建国"], "code": "callback"})
	e := ws.until("error", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "callback_future", e["code"])
	require.Contains(t, e["message"], "回电时间")
	require.Equal(t, 0, outcomeRows(t, b, b.tasks["王建国"]))

	outcome := map[string]any{"type": "outcome", "client_id": "c1-0123456789", "task_id": b.tasks["王建国"], "code": "reached",
		"answers": map[string]any{"satisfaction": map[string]any{"label": "5 非常满意", "score": 5}}, "notes": "满意", "sms_opt_out": true}
	ws.send(outcome)
	ws.until("saved", func(m map[string]any) bool { return m["type"] == "saved" && m["client_id"] == "c1-0123456789" })
	b.queue.mu.Lock()
	require.True(t, b.queue.outcomes[0].SMSOptOut, "the SMS opt-out box reaches the queue")
	require.False(t, b.queue.outcomes[0].DoNotCall)
	b.queue.mu.Unlock()
	next := ws.until("the next task", isState(phasePreview))
	require.EqualValues(t, b.tasks["李娜"], taskOf(next)["id"])

	// The browser resends after a reconnect: saved once.
	ws.send(outcome)
	again := ws.until("saved again", func(m map[string]any) bool { return m["type"] == "saved" })
	require.Equal(t, true, again["again"])
	require.Equal(t, 1, outcomeRows(t, b, b.tasks["王建国"]))
	var version string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT script_version FROM call_outcomes WHERE task_id = $1`, b.tasks["王建国"]).Scan(&version))
	require.Equal(t, "complaint@0+maintenance@0", version)

	// Skip with a reason: the task goes back and nothing else is ready.
	ws.send(map[string]any{"type": "skip", "reason": "duplicate"})
	idle := ws.until("idle", func(m map[string]any) bool {
		return m["type"] == "state" && m["phase"] == phaseIdle && m["notice"] == "no_task"
	})
	require.Nil(t, idle["task"])
}

func TestReconnectReturnsToTheCall(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	call.events <- CallEvent{State: CallAnswered}
	ws.until("answered", func(m map[string]any) bool {
		c, _ := m["call"].(map[string]any)
		return m["type"] == "state" && c["state"] == CallAnswered
	})
	require.NoError(t, ws.c.Close())

	// The call ends while the browser is away.
	call.events <- CallEvent{State: CallEnded, Result: "answered", HangupBy: "customer"}
	close(call.events)

	ws2 := b.agentWS(t, a1)
	st := ws2.until("wrap-up after reconnect", isState(phaseWrapup))
	require.EqualValues(t, b.tasks["王建国"], taskOf(st)["id"])
	require.Equal(t, "ready", st["status"])
}

func TestProgressiveModeDialsByItself(t *testing.T) {
	b := setup(t, func(c *Config) { c.ProgressiveDelay = 1500e6 })
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "progressive"})
	st := ws.until("countdown", isState(phaseCountdown))
	require.EqualValues(t, 2, st["countdown"])
	ws.until("a countdown tick", func(m map[string]any) bool { return m["type"] == "tick" && m["countdown"] == float64(1) })
	call := b.dialer.next(t)
	require.Equal(t, b.tasks["王建国"], call.req.TaskID)
	ws.until("dialling", isState(phaseCall))
}

// A paused agent is never dialled for: pausing during the progressive countdown stops
// it, a countdown timer that fires anyway dials nothing, and a call asked for while
// paused is refused. Ready again restarts the countdown.
func TestPauseStopsTheProgressiveCountdown(t *testing.T) {
	b := setup(t, func(c *Config) { c.ProgressiveDelay = time.Hour })
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "progressive"})
	ws.until("countdown", isState(phaseCountdown))
	ws.send(map[string]any{"type": "pause", "reason": "meal"})
	st := ws.until("paused in preview", func(m map[string]any) bool { return m["type"] == "state" && m["status"] == statusPaused })
	require.Equal(t, phasePreview, st["phase"], "the countdown stopped")
	require.EqualValues(t, b.tasks["王建国"], taskOf(st)["id"], "the task stays on screen")

	// The countdown's end passes and its timer fires anyway: nothing is dialled.
	b.advance(2 * time.Hour)
	a := b.agentOf("agent1")
	a.mu.Lock()
	a.onTickLocked()
	a.mu.Unlock()
	b.noCall(t)

	// The browser asks for the call while paused: refused, nothing dialled.
	ws.send(map[string]any{"type": "call"})
	e := ws.until("refused", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "not_ready", e["code"])
	require.Contains(t, e["message"], "暂停")
	b.noCall(t)

	// Ready again: the countdown starts over.
	ws.send(map[string]any{"type": "ready", "mode": "progressive"})
	st = ws.until("countdown again", isState(phaseCountdown))
	require.Equal(t, statusReady, st["status"])
	require.EqualValues(t, 3600, st["countdown"])
	b.noCall(t)
}

func TestPausedAgentGetsNoNextTask(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	ws.send(map[string]any{"type": "pause", "reason": "meal"})
	ws.until("paused", func(m map[string]any) bool { return m["type"] == "state" && m["status"] == "paused" })
	call.events <- CallEvent{State: CallEnded, Result: "no_answer", HangupBy: "system"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))
	ws.send(map[string]any{"type": "outcome", "client_id": "p1-0123456789", "task_id": b.tasks["王建国"], "code": "no_answer"})
	st := ws.until("idle while paused", isState(phaseIdle))
	require.Equal(t, "paused", st["status"])
	require.Equal(t, "meal", st["pause_reason"])
	require.Equal(t, 1, outcomeRows(t, b, b.tasks["王建国"]))
}

// Outcomes that say the customer was reached need an answered call of the task; without
// a call only a skip with its reason finishes the task, and the skip is in the records.
func TestOutcomeNeedsACall(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	task := b.tasks["王建国"]
	refused := func(id, code, want string) {
		t.Helper()
		ws.send(map[string]any{"type": "outcome", "client_id": id, "task_id": task, "code": code,
			"answers": map[string]any{"satisfaction": map[string]any{"score": 5}}, "callback_at": "2030-01-01T10:00",
			"appointment_at": "2030-01-01T10:00", "complaint_category": "price"})
		e := ws.until("refused "+code, func(m map[string]any) bool { return m["type"] == "error" && m["client_id"] == id })
		require.Equal(t, want, e["code"], code)
		require.NotEmpty(t, e["message"])
	}
	// In preview, before any call: nothing may be saved, whatever the code.
	for i, code := range []string{"reached", "appointment", "callback", "complaint", "no_answer", "refused"} {
		refused(fmt.Sprintf("pre-%d-0123456789", i), code, "no_call_yet")
	}
	require.Equal(t, 0, outcomeRows(t, b, task))

	// A call that rings out: only the not-reached outcomes.
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	call.events <- CallEvent{State: CallRinging, AttemptID: 0}
	call.events <- CallEvent{State: CallEnded, Result: "no_answer", HangupBy: "system"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))
	for i, code := range []string{"reached", "appointment", "callback", "complaint", "refused", "do_not_call"} {
		refused(fmt.Sprintf("na-%d-0123456789", i), code, "not_answered")
	}
	ws.send(map[string]any{"type": "outcome", "client_id": "na-dnc-0123456789", "task_id": task, "code": "no_answer", "do_not_call": true})
	e := ws.until("do-not-call box refused", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "not_answered", e["code"])
	require.Equal(t, 0, outcomeRows(t, b, task))
	ws.send(map[string]any{"type": "outcome", "client_id": "na-ok-0123456789", "task_id": task, "code": "no_answer"})
	ws.until("saved", func(m map[string]any) bool { return m["type"] == "saved" })
	require.Equal(t, 1, outcomeRows(t, b, task))

	// The next task, not called: a skip needs one of the skip reasons, and is recorded.
	next := ws.until("next task", isState(phasePreview))
	nextID := taskOf(next)["id"]
	ws.send(map[string]any{"type": "skip", "reason": ""})
	e = ws.until("skip refused", func(m map[string]any) bool { return m["type"] == "error" })
	require.Equal(t, "skip_reason", e["code"])
	ws.send(map[string]any{"type": "skip", "reason": "customer_in_store"})
	ws.until("idle", isState(phaseIdle))
	var reason string
	require.NoError(t, b.db.QueryRow(context.Background(), `SELECT reason FROM call_skips WHERE task_id = $1 AND agent_user_id = $2`,
		nextID, b.users["agent1"].ID).Scan(&reason))
	require.Equal(t, "customer_in_store", reason)
}

// Do-not-call is permanent across campaigns: the box or the code needs dnc_confirmed.
func TestDoNotCallNeedsConfirmation(t *testing.T) {
	b := setup(t, nil)
	ws := b.agentWS(t, b.login(t, "agent1"))
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	ws.send(map[string]any{"type": "call"})
	call := b.dialer.next(t)
	call.events <- CallEvent{State: CallAnswered}
	call.events <- CallEvent{State: CallEnded, Result: "answered", HangupBy: "agent"}
	close(call.events)
	ws.until("wrap-up", isState(phaseWrapup))
	task := b.tasks["王建国"]
	for i, m := range []map[string]any{{"code": "do_not_call"}, {"code": "reached", "do_not_call": true}} {
		m["type"], m["task_id"], m["client_id"] = "outcome", task, fmt.Sprintf("dnc-%d-0123456789", i)
		ws.send(m)
		e := ws.until("refused", func(m map[string]any) bool { return m["type"] == "error" })
		require.Equal(t, "dnc_confirm", e["code"])
	}
	require.Equal(t, 0, outcomeRows(t, b, task))
	ws.send(map[string]any{"type": "outcome", "task_id": task, "client_id": "dnc-ok-0123456789", "code": "do_not_call", "dnc_confirmed": true})
	ws.until("saved", func(m map[string]any) bool { return m["type"] == "saved" })
	require.Equal(t, 1, outcomeRows(t, b, task))
}

// offlineDialer is a gateway to which the agent's phone is not connected.
type offlineDialer struct{ fakeDialer }

func (*offlineDialer) Dial(context.Context, DialRequest) (<-chan CallEvent, error) {
	return nil, fmt.Errorf("dial: %w", ErrPhoneNotConnected)
}

func TestCallWithoutAPhoneSaysSo(t *testing.T) {
	b := setupWith(t, nil, &offlineDialer{})
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	ws.send(map[string]any{"type": "call"})
	st := ws.until("phone offline", func(m map[string]any) bool { return m["type"] == "state" && m["notice"] == "phone_offline" })
	require.Equal(t, phasePreview, st["phase"])
}

func TestLogoutClosesTheWebSocket(t *testing.T) {
	b := setup(t, nil)
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.until("hello", func(m map[string]any) bool { return m["type"] == "hello" })
	tok := b.csrfOf(t, a1, "/console")
	resp, err := a1.PostForm(b.srv.URL+"/logout", url.Values{"csrf": {tok}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_ = ws.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.c.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			require.False(t, errors.As(err, new(net.Error)) && !errors.As(err, &ce), "closed by the server, not timed out: %v", err)
			break
		}
	}
	// The session is gone: a new upgrade is refused.
	_, resp, err = b.dialWS(t, a1, b.srv.URL, "")
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// An agent whose tab closes (or whose network is gone) shows offline at once; back within
// the grace they find their status and task again; after it, the task not yet called
// goes back to the queue.
func TestOfflineAgentShownAndTaskReturned(t *testing.T) {
	b := setup(t, nil)
	ctx := context.Background()
	wb, _, err := b.dialWS(t, b.login(t, "director1"), b.srv.URL, "?view=wallboard")
	require.NoError(t, err)
	wbStatus := func(desc, status string) {
		t.Helper()
		wb.until(desc, func(m map[string]any) bool {
			list, _ := m["agents"].([]any)
			for _, x := range list {
				if a, _ := x.(map[string]any); a["username"] == "agent1" && a["status"] == status {
					return true
				}
			}
			return false
		})
	}
	a1 := b.login(t, "agent1")
	ws := b.agentWS(t, a1)
	ws.send(map[string]any{"type": "ready", "mode": "preview"})
	ws.until("preview", isState(phasePreview))
	wbStatus("ready on the wallboard", statusReady)
	takenBy := func() *int64 {
		var by *int64
		require.NoError(t, b.db.QueryRow(ctx, `SELECT taken_by FROM call_tasks WHERE id = $1`, b.tasks["王建国"]).Scan(&by))
		return by
	}

	// The tab closes and comes back within the grace: same status, same task.
	require.NoError(t, ws.c.Close())
	wbStatus("offline on the wallboard", statusOffline)
	b.advance(30 * time.Second)
	ws = b.agentWS(t, a1)
	st := ws.until("back", func(m map[string]any) bool { return m["type"] == "state" })
	require.Equal(t, statusReady, st["status"])
	require.EqualValues(t, b.tasks["王建国"], taskOf(st)["id"])

	// It closes again and does not come back: the task is returned after the grace.
	require.NoError(t, ws.c.Close())
	wbStatus("offline again", statusOffline)
	b.advance(59 * time.Second)
	b.console.h.agents.sweepOffline(b.console.h.deps.Now())
	require.NotNil(t, takenBy(), "still theirs within the grace")
	b.advance(2 * time.Second)
	b.console.h.agents.sweepOffline(b.console.h.deps.Now())
	require.Nil(t, takenBy(), "back in the queue after the grace")
	ws = b.agentWS(t, a1)
	st = ws.until("back late", func(m map[string]any) bool { return m["type"] == "state" })
	require.Equal(t, statusOffline, st["status"], "a late return chooses ready again")
	require.Nil(t, st["task"])
}
