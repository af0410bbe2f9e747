package notify

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// TestSMSAcceptedIsRecordedThroughAPostgresRestart: the provider accepts a message and
// the sender's Postgres connection dies before the record (issue 18, make faults: after a
// Postgres restart three messages stayed in sending for the ten-minute claim timeout,
// then uncertain, although the gateway had taken them). The sender records it on a new
// connection: sent, once.
func TestSMSAcceptedIsRecordedThroughAPostgresRestart(t *testing.T) {
	b := newWorkBundle(t, 0)
	ctx := context.Background()
	id := b.smsMsg(t, "13900000081", "service")
	cfg := b.db.Config()
	cfg.MaxConns = 1
	one, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer one.Close()
	var backend int
	require.NoError(t, one.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backend))

	p := newCountingProvider()
	p.fail = func(int64, int) error {
		// The gateway has the message; the sender's one connection is cut now.
		var ok bool
		require.NoError(t, b.db.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, backend).Scan(&ok))
		require.True(t, ok)
		return nil
	}
	s := &ProviderSender{DB: one, Provider: p, Log: quietLog(), Now: func() time.Time { return b.at(t, "2026-11-23 10:00") }}
	require.NoError(t, s.Send(ctx, SMS{ID: id}))
	require.Equal(t, "sent", b.smsRow(t, id).Status)
	require.Equal(t, 1, p.count(id))
}
