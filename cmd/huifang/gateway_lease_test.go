package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
	"github.com/huifang/huifang/telephony"
)

// TestGatewayLeaseSweep: two gateways hold leases; one stops renewing (its process was
// killed). Once its lease is older than the TTL, the other's sweep closes that gateway's
// unfinished call records as trunk failures (hung up by the system) and forgets its lease;
// the live gateway's call, the dead one's finished call and records of no gateway are
// left alone. Before the TTL nothing is closed.
func TestGatewayLeaseSweep(t *testing.T) {
	db := storetest.New(t)
	ctx := context.Background()
	q := store.New(db)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lease := func(id string) *gatewayLease {
		return &gatewayLease{q: q, id: id, sipAddr: "127.0.0.1:5060", ttl: 10 * time.Second, now: clock, log: log}
	}
	live, dead := lease("gw-live"), lease("gw-dead")
	require.NoError(t, live.heartbeat(ctx))
	require.NoError(t, dead.heartbeat(ctx))

	calls := telephony.NewStoreCallLog(db)
	save := func(callID, gateway string, outcome telephony.Outcome) {
		r := &telephony.CallResult{CallID: callID, To: "13900000001", Kind: "agent", InviteAt: now, Outcome: outcome, Gateway: gateway}
		if outcome != "" {
			r.EndAt = now
		}
		require.NoError(t, calls.SaveCall(ctx, r))
	}
	save("live-open", "gw-live", "")
	save("dead-open", "gw-dead", "")
	save("dead-done", "gw-dead", telephony.OutcomeAnswered)
	save("no-gateway", "", "")

	outcome := func(callID string) (string, string) {
		row, err := q.GetCallAttemptByCallID(ctx, callID)
		require.NoError(t, err)
		return row.Outcome, row.HangupBy
	}

	// 5 s later the dead gateway's lease is not out yet.
	now = now.Add(5 * time.Second)
	require.NoError(t, live.heartbeat(ctx))
	n, err := live.sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	// 11 s after its last renewal it is.
	now = now.Add(6 * time.Second)
	require.NoError(t, live.heartbeat(ctx))
	n, err = live.sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	o, by := outcome("dead-open")
	require.Equal(t, "trunk_failure", o, "not a customer attempt")
	require.Equal(t, "system", by)
	o, _ = outcome("dead-done")
	require.Equal(t, "answered", o)
	o, _ = outcome("live-open")
	require.Empty(t, o, "the live gateway's call goes on")
	o, _ = outcome("no-gateway")
	require.Empty(t, o)
	gws, err := q.ListGateways(ctx)
	require.NoError(t, err)
	require.Len(t, gws, 1)
	require.Equal(t, "gw-live", gws[0].ID)

	// A gateway that stopped cleanly gave its lease up: a record it left open is closed
	// at the next sweep.
	require.NoError(t, live.stop(ctx))
	n, err = lease("gw-other").sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	o, _ = outcome("live-open")
	require.Equal(t, "trunk_failure", o)
}
