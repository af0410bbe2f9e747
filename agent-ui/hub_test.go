package agentui

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHubFanOut(t *testing.T) {
	h := newHub(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.run(ctx); close(done) }()

	mk := func(userID, dealerID int64, wallboard bool, buf int) *client {
		c := &client{hub: h, send: make(chan []byte, buf), user: user{ID: userID, DealerID: dealerID}, wallboard: wallboard}
		require.True(t, h.register(ctx, c))
		return c
	}
	a1 := mk(1, 10, false, 4)
	a1b := mk(1, 10, false, 4)
	a2 := mk(2, 10, false, 4)
	wb := mk(3, 10, true, 4)
	other := mk(4, 20, true, 4)
	slow := mk(5, 10, true, 1)

	h.toUser(ctx, 1, []byte("for user 1"))
	h.toDirectors(ctx, 10, []byte("board 10"))
	h.toDirectors(ctx, 10, []byte("board 10 again"))
	require.ElementsMatch(t, []int64{10, 20}, h.watchedDealers(ctx))

	recv := func(c *client) string {
		select {
		case b, ok := <-c.send:
			if !ok {
				return "closed"
			}
			return string(b)
		case <-time.After(time.Second):
			return "nothing"
		}
	}
	require.Equal(t, "for user 1", recv(a1))
	require.Equal(t, "for user 1", recv(a1b))
	require.Equal(t, "nothing", recv(a2))
	require.Equal(t, "board 10", recv(wb))
	require.Equal(t, "board 10 again", recv(wb))
	require.Equal(t, "nothing", recv(other))
	// The slow client's buffer overflowed: it was dropped and its channel closed.
	require.Equal(t, "board 10", recv(slow))
	require.Equal(t, "closed", recv(slow))

	h.unregister(ctx, a2)
	require.Equal(t, "closed", recv(a2))
	cancel()
	<-done
	require.Equal(t, "closed", recv(a1))
}
