package main

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue/notify"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
	"github.com/huifang/huifang/telephony/media"
	"github.com/huifang/huifang/telephony/sipptest"
)

// TestMessageCallCampaignThroughGatewayAndSipp runs a message-call campaign through the
// real SIP gateway: the prompt is Mandarin rendered by espeak-ng, sipp answers as the
// owner and presses 1 (SIP INFO) during the prompt; the key is stored on the target and
// an agent gets a callback task.
func TestMessageCallCampaignThroughGatewayAndSipp(t *testing.T) {
	sipptest.Require(t)
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed; run .ci/test-tools.sh")
	}
	ctx := context.Background()
	db := storetest.New(t)
	q := store.New(db)
	dealer, err := q.EnsureDealer(ctx, store.EnsureDealerParams{Code: "MC1", Name: "语音测试店"})
	require.NoError(t, err)
	var cust int64
	require.NoError(t, db.QueryRow(ctx, `INSERT INTO customers (dealer_id, name, title, phone) VALUES ($1, '王', '先生', '13900000001') RETURNING id`,
		dealer.ID).Scan(&cust))
	prompt := filepath.Join(t.TempDir(), "recall.wav")
	_, err = media.RenderPrompt(ctx, "您好，这里是语音测试店。您的车辆需要召回检修，预约请按1，不感兴趣请按2，不希望再接到来电请按9。", prompt)
	require.NoError(t, err)
	res, err := notify.StartMessageCallBroadcast(ctx, db, notify.MessageCallBroadcastParams{DealerID: dealer.ID, Code: "recall:test",
		PromptPath: prompt, CustomerIDs: []int64{cust}})
	require.NoError(t, err)
	require.Equal(t, 1, res.Added)

	s := sipptest.Start(t, sipptest.Options{Scenario: filepath.Join("..", "..", "telephony", "testdata", "uas_dtmf_info.xml"),
		Transport: "udp", Calls: 1, Keys: []string{"codec", "0", "wait", "500", "digit", "1"}})
	gw, err := telephony.New(telephony.Config{ListenAddr: "127.0.0.1:0", Trunk: telephony.Trunk{URI: s.TrunkURI()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	require.NoError(t, gw.Start())
	t.Cleanup(func() { _ = gw.Close() })

	loc, err := time.LoadLocation(dealer.TimeZone)
	require.NoError(t, err)
	ten := time.Date(2026, 11, 24, 10, 0, 0, 0, loc) // a working Tuesday, inside the calling window
	run, err := notify.RunMessageCalls(ctx, db, newGatewayMessageDialer(gw), notify.MessageCallRunParams{DealerID: dealer.ID, Now: ten})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t))
	require.Equal(t, 1, run.Called)
	require.Equal(t, map[string]int{"1": 1}, run.Keys)

	var key, result, callID string
	var task *int64
	require.NoError(t, db.QueryRow(ctx, `SELECT key, result, last_call_id, callback_task_id FROM message_call_targets WHERE customer_id = $1`, cust).
		Scan(&key, &result, &callID, &task))
	require.Equal(t, "1", key)
	require.Equal(t, "callback", result)
	require.NotEmpty(t, callID)
	require.NotNil(t, task)
	var status string
	require.NoError(t, db.QueryRow(ctx, `SELECT status FROM call_tasks WHERE id = $1 AND customer_id = $2`, *task, cust).Scan(&status))
	require.Equal(t, "open", status)
}
