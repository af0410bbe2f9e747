package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/agent-ui/api"
	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

func TestAPIKeyCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.NewDB(t)
	env, out, errb := testEnvFor(t, db.URL)
	_, err := store.New(db.Pool).EnsureDealer(ctx, store.EnsureDealerParams{Code: "K1", Name: "测试4S店"})
	require.NoError(t, err)

	require.Equal(t, 0, runWith(ctx, env, []string{"apikey", "create", "--dealer", "K1", "--name", "DMS", "--json"}), errb.String())
	var created struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &created))
	require.Equal(t, 1, strings.Count(out.String(), "\n"), "one line")
	require.True(t, strings.HasPrefix(created.Key, "hf_"))
	var stored int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE key_hash = $1 AND key_hash <> $2`,
		api.HashKey(created.Key), created.Key).Scan(&stored))
	require.Equal(t, 1, stored, "only the hash is stored")

	out.Reset()
	require.Equal(t, 0, runWith(ctx, env, []string{"apikey", "list", "--dealer", "K1"}), errb.String())
	require.Contains(t, out.String(), "DMS")
	require.NotContains(t, out.String(), created.Key)

	require.Equal(t, 0, runWith(ctx, env, []string{"apikey", "revoke", "--dealer", "K1", "--id", fmt.Sprint(created.ID)}), errb.String())
	require.Equal(t, 1, runWith(ctx, env, []string{"apikey", "revoke", "--dealer", "K1", "--id", fmt.Sprint(created.ID)}), "revoked twice")
	require.Equal(t, 2, runWith(ctx, env, []string{"apikey", "create", "--dealer", "K1"}), "no name")
	require.Equal(t, 1, runWith(ctx, env, []string{"apikey", "list", "--dealer", "NOPE"}))
}
