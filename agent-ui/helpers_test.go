package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// testQueue is a small Queue on the real schema, enough to drive the console in tests;
// the product wires the queue package's engine instead.
type testQueue struct {
	db *pgxpool.Pool
	mu sync.Mutex
	// outcomes are the outcomes handed to RecordOutcome, in order.
	outcomes []Outcome
	// now is the console's clock; undo is allowed for 60 s of it after a save.
	now func() time.Time
}

// UndoOutcome removes the agent's outcome saved less than 60 s ago and gives the task
// back to the agent, open (the queue's own undo, which puts back everything the outcome
// set in motion, is tested in queue).
func (q *testQueue) UndoOutcome(ctx context.Context, dealerID, agentUserID int64, clientID string) error {
	return store.WithTx(ctx, q.db, func(tx pgx.Tx) error {
		var task int64
		var at time.Time
		err := tx.QueryRow(ctx, `DELETE FROM call_outcomes WHERE dealer_id = $1 AND agent_user_id = $2 AND client_id = $3
			RETURNING task_id, created_at`, dealerID, agentUserID, clientID).Scan(&task, &at)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrUndoNotFound
		}
		if err != nil {
			return err
		}
		if q.now().Sub(at) > time.Minute {
			return ErrUndoTooLate
		}
		_, err = tx.Exec(ctx, `UPDATE call_tasks SET status = 'open', outcome = '', closed_at = NULL, taken_by = $2, taken_at = now() WHERE id = $1`, task, agentUserID)
		return err
	})
}

// UndoWindow is 60 s.
func (q *testQueue) UndoWindow(ctx context.Context, dealerID int64) (time.Duration, error) {
	return time.Minute, nil
}

func (q *testQueue) Take(ctx context.Context, dealerID, userID int64) (*Task, error) {
	var t Task
	err := q.db.QueryRow(ctx, `
		UPDATE call_tasks SET taken_by = $2, taken_at = now()
		WHERE id = (SELECT id FROM call_tasks
		            WHERE dealer_id = $1 AND status = 'open' AND (taken_by IS NULL OR taken_by = $2)
		              AND (assigned_user_id IS NULL OR assigned_user_id = $2)
		              AND (not_before IS NULL OR not_before <= now())
		            ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, customer_id, campaigns, attempts, flagged`, dealerID, userID).
		Scan(&t.ID, &t.CustomerID, &t.Campaigns, &t.Attempts, &t.Flagged)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return nil, ErrNoTask
		}
		return nil, err
	}
	err = q.db.QueryRow(ctx, `SELECT c.phone, COALESCE(array_agg(r.text ORDER BY r.priority DESC) FILTER (WHERE r.id IS NOT NULL), '{}')
		FROM customers c LEFT JOIN call_task_reasons r ON r.task_id = $2 WHERE c.id = $1 GROUP BY c.phone`, t.CustomerID, t.ID).Scan(&t.Phone, &t.Reasons)
	return &t, err
}

func (q *testQueue) Release(ctx context.Context, dealerID, userID, taskID int64, reason string) error {
	_, err := q.db.Exec(ctx, `UPDATE call_tasks SET taken_by = NULL, not_before = now() + interval '15 minutes'
		WHERE id = $1 AND dealer_id = $2 AND taken_by = $3`, taskID, dealerID, userID)
	return err
}

func (q *testQueue) Skip(ctx context.Context, dealerID, userID, taskID int64, reason string) error {
	if err := q.Release(ctx, dealerID, userID, taskID, reason); err != nil {
		return err
	}
	_, err := q.db.Exec(ctx, `INSERT INTO call_skips (dealer_id, task_id, customer_id, agent_user_id, reason)
		SELECT dealer_id, id, customer_id, $2, $3 FROM call_tasks WHERE id = $1`, taskID, userID, reason)
	return err
}

func (q *testQueue) RecordOutcome(ctx context.Context, o Outcome) error {
	q.mu.Lock()
	q.outcomes = append(q.outcomes, o)
	q.mu.Unlock()
	return store.WithTx(ctx, q.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO call_outcomes (dealer_id, client_id, task_id, agent_user_id, code, appointment_at,
			callback_at, callback_mine, answers, complaint_category, notes, script_version)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (dealer_id, client_id) DO NOTHING`,
			o.DealerID, o.ClientID, o.TaskID, o.AgentUserID, o.Code, o.AppointmentAt, o.CallbackAt, o.CallbackMine,
			[]byte(o.Answers), o.ComplaintCategory, o.Notes, o.ScriptVersion)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE call_tasks SET status = 'done', outcome = $2, taken_by = NULL, closed_at = now() WHERE id = $1`, o.TaskID, o.Code)
		return err
	})
}

// fakeDialer hands each call's event channel to the test, which plays the call.
type fakeDialer struct {
	mu    sync.Mutex
	calls chan *fakeCall
	hung  []string
}

type fakeCall struct {
	req    DialRequest
	id     string
	events chan CallEvent
}

func newFakeDialer() *fakeDialer { return &fakeDialer{calls: make(chan *fakeCall, 16)} }

func (d *fakeDialer) Dial(ctx context.Context, req DialRequest) (<-chan CallEvent, error) {
	c := &fakeCall{req: req, id: fmt.Sprintf("call-%d", req.TaskID), events: make(chan CallEvent, 8)}
	c.events <- CallEvent{CallID: c.id, State: CallDialing}
	d.calls <- c
	return c.events, nil
}

func (d *fakeDialer) Hangup(ctx context.Context, id string) error {
	d.mu.Lock()
	d.hung = append(d.hung, id)
	d.mu.Unlock()
	return nil
}

func (d *fakeDialer) next(t *testing.T) *fakeCall {
	t.Helper()
	select {
	case c := <-d.calls:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no call was placed")
		return nil
	}
}

type bundle struct {
	db      *pgxpool.Pool
	srv     *httptest.Server
	console *Console
	dialer  *fakeDialer
	dealer  store.Dealer
	other   store.Dealer
	users   map[string]store.User
	// customers of the dealer, by name; the other dealer's customer is "外店客户".
	customers map[string]int64
	tasks     map[string]int64
	queue     *testQueue
	// recDir is the console's recordings directory (Config.RecordingsDir).
	recDir string
	// skew moves the console's clock (Deps.Now) ahead of the wall clock, in nanoseconds.
	skew atomic.Int64
}

// advance moves the console's clock ahead by d.
func (b *bundle) advance(d time.Duration) { b.skew.Add(int64(d)) }

// noCall fails when a call was placed.
func (b *bundle) noCall(t *testing.T) {
	t.Helper()
	select {
	case c := <-b.dialer.calls:
		t.Fatalf("a call was placed for task %d", c.req.TaskID)
	default:
	}
}

// agentOf returns the console's state of a user.
func (b *bundle) agentOf(name string) *agent {
	u := b.users[name]
	b.console.h.agents.mu.Lock()
	defer b.console.h.agents.mu.Unlock()
	return b.console.h.agents.m[u.ID]
}

const testPassword = "secret-pass"

func setup(t *testing.T, tweak func(*Config)) *bundle {
	t.Helper()
	return setupWith(t, tweak, nil)
}

// setupWith is setup with another Dialer than the fake one.
func setupWith(t *testing.T, tweak func(*Config), dialer Dialer) *bundle {
	t.Helper()
	return setupPhone(t, tweak, dialer, nil)
}

// setupPhone is setupWith and a browser phone.
func setupPhone(t *testing.T, tweak func(*Config), dialer Dialer, phone WebPhone) *bundle {
	t.Helper()
	return setupFull(t, tweak, dialer, phone, nil)
}

// setupFull is setupPhone with the console shared through cluster (Deps.Cluster) when
// it is not nil.
func setupFull(t *testing.T, tweak func(*Config), dialer Dialer, phone WebPhone, cluster redis.UniversalClient) *bundle {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	b := &bundle{db: db, users: map[string]store.User{}, customers: map[string]int64{}, tasks: map[string]int64{}, dialer: newFakeDialer()}
	var err error
	b.dealer, err = q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "GZ01", Name: "广州测试4S店"})
	require.NoError(t, err)
	b.other, err = q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "SZ01", Name: "深圳测试4S店"})
	require.NoError(t, err)
	hash, err := store.HashPassword(testPassword)
	require.NoError(t, err)
	for _, u := range []struct {
		dealer              int64
		name, display, role string
	}{
		{b.dealer.ID, "agent1", "小李", roleAgent}, {b.dealer.ID, "agent2", "小王", roleAgent},
		{b.dealer.ID, "director1", "陈总监", roleDirector}, {b.other.ID, "agentx", "外店坐席", roleAgent},
	} {
		row, err := q.CreateUser(ctx, store.CreateUserParams{DealerID: u.dealer, Username: u.name, DisplayName: u.display, Role: u.role, PasswordHash: hash})
		require.NoError(t, err)
		b.users[u.name] = row
	}
	addCustomer := func(dealer int64, name, title, phone string, campaigns []string, priority int, assigned *int64) {
		var id, vid, tid int64
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1,$2,$3,$4) RETURNING id`, dealer, name, title, phone).Scan(&id))
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO vehicles (dealer_id, customer_id, vin, plate, brand, model, delivery_day)
			VALUES ($1,$2,$3,'粤A12345','本田','雅阁','2026-05-03') RETURNING id`, dealer, id, fmt.Sprintf("LHGCV1658%08d", id)).Scan(&vid))
		_, err := db.Exec(ctx, `INSERT INTO workshop_visits (dealer_id, vehicle_id, customer_id, day, kind, type_label, mileage) VALUES ($1,$2,$3,'2026-06-01','maintenance','首保',5100)`, dealer, vid, id)
		require.NoError(t, err)
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns, assigned_user_id)
			VALUES ($1,$2,$3,'2026-01-01','2030-01-01',$4,$5) RETURNING id`, dealer, id, priority, campaigns, assigned).Scan(&tid))
		for _, c := range campaigns {
			_, err := db.Exec(ctx, `INSERT INTO call_task_reasons (dealer_id, task_id, customer_id, campaign, occurrence, priority, due_day, expires_day, text, facts)
				VALUES ($1,$2,$3,$4,$5,$6,'2026-01-01','2030-01-01',$7,'{"due_day":"2026-12-01"}')`, dealer, tid, id, c, fmt.Sprintf("%s-%d", c, id), priority, c+" 原因说明")
			require.NoError(t, err)
		}
		b.customers[name], b.tasks[name] = id, tid
	}
	agent2 := b.users["agent2"].ID
	addCustomer(b.dealer.ID, "王建国", "先生", "13900000001", []string{"complaint", "maintenance"}, 100, nil)
	addCustomer(b.dealer.ID, "李娜", "女士", "13900000002", []string{"insurance"}, 40, nil)
	addCustomer(b.dealer.ID, "赵回电", "先生", "13900000003", []string{"maintenance"}, 10, &agent2)
	addCustomer(b.other.ID, "外店客户", "女士", "13900000009", []string{"birthday"}, 20, nil)

	b.startConsole(t, tweak, dialer, phone, cluster)
	return b
}

// startConsole starts the bundle's console on a server of its own.
func (b *bundle) startConsole(t *testing.T, tweak func(*Config), dialer Dialer, phone WebPhone, cluster redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	db := b.db
	var err error
	b.srv = httptest.NewUnstartedServer(nil)
	cfg := Config{PublicURL: "http://" + b.srv.Listener.Addr().String(), ProgressiveDelay: 2 * time.Second,
		TakeRetry: 200 * time.Millisecond, WallboardInterval: 200 * time.Millisecond, PingInterval: time.Second,
		Housekeeping:  -1, // tests run housekeepOnce themselves
		RecordingsDir: t.TempDir()}
	if tweak != nil {
		tweak(&cfg)
	}
	b.recDir = cfg.RecordingsDir
	if dialer == nil {
		dialer = b.dialer
	}
	b.queue = &testQueue{db: db, now: func() time.Time { return time.Now().Add(time.Duration(b.skew.Load())) }}
	b.console, err = New(cfg, Deps{DB: db, Queue: b.queue, Figures: testFigures{db: db}, Dialer: dialer, WebPhone: phone, Cluster: cluster,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return time.Now().Add(time.Duration(b.skew.Load())) }})
	require.NoError(t, err)
	b.srv.Config.Handler = b.console.Handler()
	b.srv.Start()
	b.console.Start(ctx)
	t.Cleanup(func() {
		b.srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.console.Shutdown(sctx)
	})
}

func (b *bundle) client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrfOf fetches a page and returns the CSRF token in its form.
func (b *bundle) csrfOf(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	resp, err := c.Get(b.srv.URL + path)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	require.NotNil(t, m, "no csrf token on %s (status %d)", path, resp.StatusCode)
	return string(m[1])
}

func (b *bundle) postLogin(t *testing.T, c *http.Client, username, password string) *http.Response {
	t.Helper()
	tok := b.csrfOf(t, c, "/login")
	resp, err := c.PostForm(b.srv.URL+"/login", url.Values{"csrf": {tok}, "username": {username}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func (b *bundle) login(t *testing.T, username string) *http.Client {
	t.Helper()
	c := b.client(t)
	resp := b.postLogin(t, c, username, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return c
}

func (b *bundle) cookieHeader(c *http.Client) string {
	u, _ := url.Parse(b.srv.URL)
	var parts []string
	for _, ck := range c.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

func (b *bundle) dialWS(t *testing.T, c *http.Client, origin, query string) (*wsConn, *http.Response, error) {
	h := http.Header{}
	if c != nil {
		h.Set("Cookie", b.cookieHeader(c))
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.srv.URL, "http")+"/ws"+query, h)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.Close() })
	return &wsConn{t: t, c: conn}, resp, nil
}

func (b *bundle) agentWS(t *testing.T, c *http.Client) *wsConn {
	ws, _, err := b.dialWS(t, c, b.srv.URL, "")
	require.NoError(t, err)
	return ws
}

func (w *wsConn) send(v any) {
	require.NoError(w.t, w.c.WriteJSON(v))
}

// until reads messages until one satisfies ok, for at most five seconds.
func (w *wsConn) until(desc string, ok func(m map[string]any) bool) map[string]any {
	w.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_ = w.c.SetReadDeadline(deadline)
		_, data, err := w.c.ReadMessage()
		require.NoError(w.t, err, "waiting for %s", desc)
		var m map[string]any
		require.NoError(w.t, json.Unmarshal(data, &m))
		if ok(m) {
			return m
		}
	}
	w.t.Fatalf("timed out waiting for %s", desc)
	return nil
}

func isState(phase string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "state" && m["phase"] == phase }
}

func taskOf(m map[string]any) map[string]any {
	t, _ := m["task"].(map[string]any)
	return t
}
