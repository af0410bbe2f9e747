package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestWebhookCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	_, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "W1", Name: "测试4S店"})
	require.NoError(t, err)
	require.Equal(t, 0, runWith(ctx, env, []string{"webhook", "add", "--dealer", "W1", "--url", "https://dms.example/hook",
		"--events", "complaint.opened,appointment.booked", "--json"}), errb.String())
	var created struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &created))
	require.NotEmpty(t, created.Secret)
	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"webhook", "list", "--dealer", "W1"}), errb.String())
	require.Contains(t, out.String(), "complaint.opened,appointment.booked")
	require.NotContains(t, out.String(), created.Secret)
	require.Equal(t, 2, runWith(ctx, env, []string{"webhook", "add", "--dealer", "W1", "--url", "https://x", "--events", "call.ended"}))
	require.True(t, strings.Contains(errb.String(), "--events"), errb.String())
	require.Equal(t, 2, runWith(ctx, env, []string{"webhook", "add", "--dealer", "W1", "--url", "file:///etc", "--events", "sms.opted_out"}))
	require.Equal(t, 0, runWith(ctx, env, []string{"webhook", "remove", "--dealer", "W1", "--id", fmt.Sprint(created.ID)}))
	require.Equal(t, 1, runWith(ctx, env, []string{"webhook", "remove", "--dealer", "W1", "--id", fmt.Sprint(created.ID)}))
}
