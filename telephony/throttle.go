package telephony

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// throttle counts digest failures per source IP, per user name and per (source, user)
// pair, and locks a key out once it reaches the limit within the window (issue 12: digest
// brute force). While a key is locked, requests are answered 403 without looking anyone
// up.
//
// A user locked by failures from elsewhere stays usable from the address that last
// authenticated as that user, so an attacker cannot lock an agent's working phone out;
// the pair key still locks a brute force from that same address.
type throttle struct {
	max    int
	window time.Duration
	lock   time.Duration

	mu      sync.Mutex
	keys    map[string]*failures
	good    map[string]string // user -> source IP that last authenticated
	sweepAt int

	failed   atomic.Uint64
	lockouts atomic.Uint64
}

type failures struct {
	n           int
	since       time.Time
	lockedUntil time.Time
}

func newThrottle(max int, window, lock time.Duration) *throttle {
	return &throttle{max: max, window: window, lock: lock, keys: map[string]*failures{}, good: map[string]string{}, sweepAt: 1024}
}

// sourceIP returns the IP of a HOST:PORT source.
func sourceIP(source string) string {
	if h, _, err := net.SplitHostPort(source); err == nil {
		return h
	}
	return source
}

func throttleKeys(ip, user string) (ipKey, userKey, pairKey string) {
	return "ip\x00" + ip, "user\x00" + user, "pair\x00" + ip + "\x00" + user
}

// locked reports whether a request from ip for user must be refused now.
func (t *throttle) locked(ip, user string, now time.Time) bool {
	if t.max <= 0 {
		return false
	}
	ipKey, userKey, pairKey := throttleKeys(ip, user)
	t.mu.Lock()
	defer t.mu.Unlock()
	trusted := user != "" && t.good[user] == ip
	is := func(k string) bool {
		f := t.keys[k]
		return f != nil && now.Before(f.lockedUntil)
	}
	if is(pairKey) {
		return true
	}
	if trusted {
		return false
	}
	return is(ipKey) || (user != "" && is(userKey))
}

// fail records a failed digest from ip for user (user may be unknown to us).
func (t *throttle) fail(ip, user string, now time.Time) {
	t.failed.Add(1)
	if t.max <= 0 {
		return
	}
	ipKey, userKey, pairKey := throttleKeys(ip, user)
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := []string{ipKey, pairKey}
	if user != "" {
		keys = append(keys, userKey)
	}
	for _, k := range keys {
		f := t.keys[k]
		if f == nil || now.Sub(f.since) > t.window {
			f = &failures{since: now}
			t.keys[k] = f
		}
		f.n++
		if f.n >= t.max && !now.Before(f.lockedUntil) {
			f.lockedUntil = now.Add(t.lock)
			f.n, f.since = 0, now
			t.lockouts.Add(1)
		}
	}
	if len(t.keys) > t.sweepAt {
		t.sweepLocked(now)
	}
}

// ok records a successful digest: the pair's failures are forgotten and ip becomes the
// user's trusted address.
func (t *throttle) ok(ip, user string) {
	_, _, pairKey := throttleKeys(ip, user)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, pairKey)
	t.good[user] = ip
}

// sweepLocked forgets keys with no recent failure and no lock, so that a flood of
// made-up user names cannot grow the table without bound.
func (t *throttle) sweepLocked(now time.Time) {
	for k, f := range t.keys {
		if now.Sub(f.since) > t.window && !now.Before(f.lockedUntil) {
			delete(t.keys, k)
		}
	}
	t.sweepAt = max(1024, 2*len(t.keys))
}
