package telephony

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestThrottle(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	th := newThrottle(3, time.Minute, 10*time.Minute)
	th.ok("10.0.0.5", "agent1") // the agent's phone
	for i := 0; i < 2; i++ {
		th.fail("198.51.100.7", "agent1", t0)
	}
	require.False(t, th.locked("198.51.100.7", "agent1", t0), "under the limit")
	th.fail("198.51.100.7", "agent1", t0)
	require.True(t, th.locked("198.51.100.7", "agent1", t0), "the attacker's address is locked")
	require.True(t, th.locked("198.51.100.7", "agent2", t0), "for every user")
	require.True(t, th.locked("203.0.113.9", "agent1", t0), "the user is locked from other addresses")
	require.False(t, th.locked("10.0.0.5", "agent1", t0), "but not from the phone's own address")
	require.False(t, th.locked("203.0.113.9", "agent2", t0), "other users from other addresses are not")
	require.True(t, th.locked("198.51.100.7", "agent1", t0.Add(9*time.Minute)))
	require.False(t, th.locked("198.51.100.7", "agent1", t0.Add(10*time.Minute)), "the lock ends")
	require.EqualValues(t, 3, th.failed.Load())
	require.EqualValues(t, 3, th.lockouts.Load(), "address, user and pair")

	// Failures spread wider than the window never lock.
	th = newThrottle(3, time.Minute, 10*time.Minute)
	for i := 0; i < 10; i++ {
		th.fail("198.51.100.8", "agent3", t0.Add(time.Duration(i)*31*time.Second))
	}
	require.False(t, th.locked("198.51.100.8", "agent3", t0.Add(5*time.Minute)))

	// A brute force from the phone's own address is locked by the pair.
	th = newThrottle(3, time.Minute, 10*time.Minute)
	th.ok("10.0.0.5", "agent1")
	for i := 0; i < 3; i++ {
		th.fail("10.0.0.5", "agent1", t0)
	}
	require.True(t, th.locked("10.0.0.5", "agent1", t0))

	// Made-up user names do not grow the table without bound.
	th = newThrottle(3, time.Minute, 10*time.Minute)
	for i := 0; i < 100000; i++ {
		th.fail("198.51.100.9", "u"+string(rune('a'+i%26))+time.Duration(i).String(), t0.Add(time.Duration(i)*time.Millisecond))
	}
	require.Less(t, len(th.keys), 200000)
}

func TestNoncesOnlyOnce(t *testing.T) {
	n := newNonces()
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	nonce := n.issue(t0)
	ok, stale := n.valid(nonce, t0.Add(time.Minute))
	require.True(t, ok)
	require.False(t, stale)
	require.True(t, n.use(nonce, 1, t0))
	require.False(t, n.use(nonce, 1, t0), "the same count again is a replay")
	require.True(t, n.use(nonce, 2, t0), "a higher count is the phone's next request")
	require.False(t, n.use(nonce, 1, t0))
	other := n.issue(t0.Add(time.Second))
	require.True(t, n.use(other, 0, t0), "without qop a nonce is good once")
	require.False(t, n.use(other, 0, t0))
	ok, stale = n.valid(nonce, t0.Add(nonceLifetime+time.Second))
	require.False(t, ok)
	require.True(t, stale)
	ok, _ = n.valid("1234."+nonce[len(nonce)-24:], t0)
	require.False(t, ok, "a forged nonce")
}
