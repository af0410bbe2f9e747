package agentui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// The login limiter. Every attempt is reserved (recorded as a failure) before its password
// is checked, under a lock on its user name and address, so parallel tries cannot pass the
// count together; a success removes its reservation. Failures back off:
//
//   - a user name from one address after LoginLimit failures in LoginWindow: the first
//     wait is LoginBackoff, doubling with each further failure, at most LoginWindow;
//   - a user name from any address after 4×LoginLimit failures (a guess spread over
//     addresses), the same waits;
//   - an address for any user name after 20×LoginLimit failures (a password spray), the
//     same waits, except for user names that logged in from that address in the last
//     loginKnownFor: a call center behind one office address keeps logging in.
//
// A refused attempt is not counted and checks no password. At most LoginConcurrency
// password checks (bcrypt) run at once; a user name that does not exist costs the same
// bcrypt check as one that does, so timing does not tell user names apart.
const (
	// loginUserFactor and loginRemoteFactor scale LoginLimit for the per-user-name and
	// per-address limits.
	loginUserFactor   = 4
	loginRemoteFactor = 20
	// loginKnownFor is how long a successful login keeps its user name and address known.
	loginKnownFor = 30 * 24 * time.Hour
	// loginCheckWait is how long an attempt waits for a free password check.
	loginCheckWait = 10 * time.Second
)

// errLoginBusy is an attempt that found no free password check in time.
var errLoginBusy = errors.New("login: every password check is busy")

// loginGuard bounds the password checks; it counts them for tests and metrics.
type loginGuard struct {
	sem chan struct{}
	// dummy is a bcrypt hash checked for user names that do not exist.
	dummy string
	// checks counts bcrypt comparisons; active and maxActive the concurrent ones.
	checks, active, maxActive atomic.Int64
}

// dummyHash is a bcrypt hash at store.HashPassword's cost of a random password nobody
// knows, checked for user names that do not exist (made once, so a console starts
// without spending a bcrypt on it).
const dummyHash = "$2a$10$quvg8h7Qhnerkf.GJb/ZTuEbJ1g3QowVLz/mq1WNBbzYvokL8/JRy"

func newLoginGuard(concurrency int) *loginGuard {
	return &loginGuard{sem: make(chan struct{}, concurrency), dummy: dummyHash}
}

// check compares password with each hash (with the dummy hash when there is none), one
// bounded slot for them all, and returns the index of the match or -1.
func (g *loginGuard) check(ctx context.Context, hashes []string, password string) (int, error) {
	wait, cancel := context.WithTimeout(ctx, loginCheckWait)
	defer cancel()
	select {
	case g.sem <- struct{}{}:
	case <-wait.Done():
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, errLoginBusy
	}
	defer func() { <-g.sem }()
	n := g.active.Add(1)
	defer g.active.Add(-1)
	for {
		m := g.maxActive.Load()
		if n <= m || g.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	if len(hashes) == 0 {
		g.checks.Add(1)
		_ = store.CheckPassword(g.dummy, password)
		return -1, nil
	}
	for i, h := range hashes {
		g.checks.Add(1)
		if store.CheckPassword(h, password) {
			return i, nil
		}
	}
	return -1, nil
}

// backoff returns until when n failures, the latest at last, hold attempts back, given
// the limit: zero when n is under it.
func (h *handler) backoff(n int64, last time.Time, limit int) time.Time {
	if n < int64(limit) {
		return time.Time{}
	}
	wait := h.cfg.LoginBackoff
	for i := int64(limit); i < n && wait < h.cfg.LoginWindow; i++ {
		wait *= 2
	}
	return last.Add(min(wait, h.cfg.LoginWindow))
}

// reserveLogin counts the user name's and the address's recent failures and, when none of
// the limits holds the attempt back, records it; it returns the reservation's id, or
// until when the attempt must wait.
func (h *handler) reserveLogin(ctx context.Context, username, remote string, now time.Time) (int64, time.Time, error) {
	var id int64
	var until time.Time
	err := store.WithTx(ctx, h.deps.DB, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockLoginPair(ctx, store.LockLoginPairParams{Username: username, Remote: remote}); err != nil {
			return err
		}
		c, err := q.LoginAttemptCounts(ctx, store.LoginAttemptCountsParams{Username: username, Remote: remote, Since: now.Add(-h.cfg.LoginWindow)})
		if err != nil {
			return err
		}
		for _, u := range []time.Time{
			h.backoff(c.Pair, c.PairLast, h.cfg.LoginLimit),
			h.backoff(c.ByUsername, c.UsernameLast, loginUserFactor*h.cfg.LoginLimit),
		} {
			if u.After(until) {
				until = u
			}
		}
		if u := h.backoff(c.ByRemote, c.RemoteLast, loginRemoteFactor*h.cfg.LoginLimit); u.After(now) && u.After(until) {
			known, err := q.IsKnownLoginPair(ctx, store.IsKnownLoginPairParams{Username: username, Remote: remote, Since: now.Add(-loginKnownFor)})
			if err != nil {
				return err
			}
			if !known {
				until = u
			}
		}
		if until.After(now) {
			return nil
		}
		until = time.Time{}
		id, err = q.ReserveLoginAttempt(ctx, store.ReserveLoginAttemptParams{Username: username, Remote: remote, At: now})
		return err
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("login: reserve attempt: %w", err)
	}
	return id, until, nil
}

// clientAddr is the request's client address: the connection's peer, or, when the peer is
// one of TrustedProxies, the nearest address in X-Forwarded-For that is not.
func (h *handler) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !h.trustedProxy(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer.Unmap().String()
		}
		if !h.trustedProxy(a) {
			return a.Unmap().String()
		}
	}
	return peer.Unmap().String()
}

func (h *handler) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range h.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
