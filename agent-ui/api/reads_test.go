package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

func TestGetTasksAsQueueList(t *testing.T) {
	b := setup(t, Config{})
	ctx := context.Background()
	st, out := b.post("/api/v1/showroom-visits", map[string]any{"external_id": "SV-1", "phone": "13800001234", "name": "周", "title": "先生",
		"arrived_at": "2026-11-22 15:00", "left_at": "2026-11-22 16:00"})
	require.Equal(t, http.StatusCreated, st, "%v", out)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	_, err := queue.Build(ctx, b.db, queue.BuildParams{DealerID: b.dealer.ID, Day: day})
	require.NoError(t, err)
	listed, err := queue.List(ctx, b.db, queue.ListParams{DealerID: b.dealer.ID, Day: day, Campaign: queue.CampaignSameDayVisit})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	want, err := json.Marshal(map[string]any{"date": "2026-11-22", "tasks": listed})
	require.NoError(t, err)

	res, err := b.get("/api/v1/tasks?date=2026-11-22&campaign=same_day_visit", b.key)
	require.NoError(t, err)
	require.Equal(t, 200, res.status)
	require.JSONEq(t, string(want), res.body, "the fields of huifang queue list --json")
	res, _ = b.get("/api/v1/tasks?date=2026-11-22", b.otherKy)
	require.JSONEq(t, `{"date":"2026-11-22","tasks":[]}`, res.body, "another dealer's queue is its own")
	res, _ = b.get("/api/v1/tasks?date=22.11.2026", b.key)
	require.Equal(t, 400, res.status)
	res, _ = b.get("/api/v1/tasks?campaign=nope", b.key)
	require.Equal(t, 400, res.status)
}

// got is a raw response.
type got struct {
	status int
	header http.Header
	body   string
}

func (b *bundle) get(path, key string) (got, error) {
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return got{}, err
	}
	if path[0] == '/' {
		req, _ = http.NewRequest(http.MethodGet, b.ts.URL+path, nil)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return got{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return got{res.StatusCode, res.Header, string(raw)}, err
}

func TestGetCallsSignedRecordings(t *testing.T) {
	now := testNow
	recordings := t.TempDir()
	b := setup(t, Config{RecordingTTL: time.Hour, Now: func() time.Time { return now }, RecordingsDir: recordings})
	ctx := context.Background()
	wav := filepath.Join(recordings, "call.wav")
	require.NoError(t, os.WriteFile(wav, []byte("RIFF....WAVEfake"), 0o600))
	_, err := b.db.Exec(ctx, `
		WITH c AS (INSERT INTO customers (dealer_id, name, phone) VALUES ($1, '周', '13800001234') RETURNING id),
		     u AS (INSERT INTO users (dealer_id, username, display_name, role, password_hash) VALUES ($1, 'agent1', '王芳', 'agent', 'x') RETURNING id),
		     t AS (INSERT INTO call_tasks (dealer_id, customer_id, priority, due_day, expires_day, campaigns)
		           SELECT $1, c.id, 90, '2026-11-22', '2026-11-23', '{same_day_visit}' FROM c RETURNING id, customer_id),
		     a AS (INSERT INTO call_attempts (dealer_id, task_id, customer_id, agent_user_id, call_id, to_number, invite_at, ring_at, answer_at, end_at,
		                                      sip_status, sip_reason, outcome, recording_path)
		           SELECT $1, t.id, t.customer_id, u.id, 'call-1', '13800001234', '2026-11-22 18:00:00+08', '2026-11-22 18:00:01+08',
		                  '2026-11-22 18:00:05.5+08', '2026-11-22 18:02:05.5+08', 200, 'OK', 'answered', $2 FROM t, u RETURNING id, task_id)
		INSERT INTO call_outcomes (dealer_id, client_id, task_id, attempt_id, code, answers)
		SELECT $1, 'o-1', a.task_id, a.id, 'reached', '{"satisfaction": 5}' FROM a`, b.dealer.ID, wav)
	require.NoError(t, err)
	// 501 unanswered calls, to page.
	_, err = b.db.Exec(ctx, `INSERT INTO call_attempts (dealer_id, call_id, to_number, invite_at, end_at, sip_status, outcome)
		SELECT $1, 'busy-' || i, '13800001234', '2026-11-22 19:00+08'::timestamptz + i * interval '1 second', NULL, 486, 'busy'
		FROM generate_series(1, 501) i`, b.dealer.ID)
	require.NoError(t, err)

	res, err := b.get("/api/v1/calls?since=2026-11-22T00:00:00%2B08:00", b.key)
	require.NoError(t, err)
	require.Equal(t, 200, res.status, res.body)
	var page struct {
		Calls      []CallRecord `json:"calls"`
		NextCursor *string      `json:"next_cursor"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &page))
	require.Len(t, page.Calls, 500)
	first := page.Calls[0]
	require.Equal(t, "agent1", first.Agent)
	require.Equal(t, "13800001234", first.Phone)
	require.Equal(t, []string{"same_day_visit"}, first.Campaigns)
	require.Equal(t, "reached", first.Outcome)
	require.Equal(t, 200, first.SIPStatus)
	require.Equal(t, 4.5, first.RingSeconds)
	require.Equal(t, 120.0, first.TalkSeconds)
	require.JSONEq(t, `{"satisfaction": 5}`, string(first.Answers))
	require.NotNil(t, first.RecordingURL)
	require.Nil(t, page.Calls[1].RecordingURL)
	require.NotNil(t, page.NextCursor)

	res, err = b.get("/api/v1/calls?since=2026-11-22T00:00:00%2B08:00&cursor="+*page.NextCursor, b.key)
	require.NoError(t, err)
	var page2 struct {
		Calls      []CallRecord `json:"calls"`
		NextCursor *string      `json:"next_cursor"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &page2))
	require.Len(t, page2.Calls, 2, "502 calls: 500 and 2")
	require.Nil(t, page2.NextCursor)
	require.Greater(t, page2.Calls[0].Time, page.Calls[499].Time, "the second page goes on after the first")

	// The recording URL needs no key, until it expires; a changed URL is refused.
	rec, err := b.get(*first.RecordingURL, "")
	require.NoError(t, err)
	require.Equal(t, 200, rec.status)
	require.Equal(t, "RIFF....WAVEfake", rec.body)
	rec, _ = b.get(*first.RecordingURL+"0", "")
	require.Equal(t, 403, rec.status)
	// A recording path outside the recordings directory is never served (404).
	outside := filepath.Join(t.TempDir(), "secret.wav")
	require.NoError(t, os.WriteFile(outside, []byte("not a recording"), 0o600))
	_, err = b.db.Exec(ctx, `UPDATE call_attempts SET recording_path = $1 WHERE call_id = 'call-1'`, outside)
	require.NoError(t, err)
	rec, _ = b.get(*first.RecordingURL, "")
	require.Equal(t, 404, rec.status)
	now = now.Add(61 * time.Minute)
	rec, _ = b.get(*first.RecordingURL, "")
	require.Equal(t, 403, rec.status)

	res, _ = b.get("/api/v1/calls?since=2026-11-22T00:00:00%2B08:00", b.otherKy)
	require.JSONEq(t, `{"calls":[],"next_cursor":null}`, res.body)
	res, _ = b.get("/api/v1/calls", b.key)
	require.Equal(t, 400, res.status)
}
