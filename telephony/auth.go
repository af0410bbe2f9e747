package telephony

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Agent is an agent's SIP identity, as the Credentials give it.
type Agent struct {
	// Username is the SIP user name the phone authenticates with.
	Username string
	// HA1 is the digest HA1 of the agent's SIP secret for the gateway's realm (HA1): the
	// gateway never sees the secret itself. Empty means the agent has no secret and the
	// phone cannot authenticate.
	HA1 string
	// UserID and DealerID identify the agent in store.
	UserID   int64
	DealerID int64
}

// HA1 returns the digest HA1 of secret (RFC 2617 section 3.2.2.2): the hex MD5 of
// username:realm:secret.
func HA1(username, realm, secret string) string { return md5hex(username + ":" + realm + ":" + secret) }

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ErrUnknownAgent is what Credentials return for a user name that is not an active agent
// with a SIP secret.
var ErrUnknownAgent = errors.New("telephony: unknown agent")

// Credentials look up agents' SIP secrets; cmd wires them to the users table.
type Credentials interface {
	// LookupAgent returns the agent with this SIP user name, or ErrUnknownAgent.
	LookupAgent(ctx context.Context, username string) (Agent, error)
}

// nonceLifetime is how long a digest nonce we issued stays valid.
const nonceLifetime = 5 * time.Minute

// maxTrackedNonces bounds the nonces remembered as used; past it (a flood), a nonce is
// taken as stale and the phone is challenged again.
const maxTrackedNonces = 200000

// nonces issues and checks digest nonces: a time stamp and its HMAC under a secret that
// lives as long as the gateway, so a forged or expired nonce is refused without memory.
// Each nonce that authenticated a request is remembered until it expires with the highest
// nonce count (nc) used with it: a request is accepted only with a higher nc (qop=auth),
// and a nonce without qop only once, so a captured request cannot be replayed (RFC 7616
// section 3.3, RFC 3261 section 22.4).
type nonces struct {
	secret []byte

	mu   sync.Mutex
	used map[string]nonceUse
}

type nonceUse struct {
	nc int
	at time.Time
}

func newNonces() *nonces {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return &nonces{secret: b, used: map[string]nonceUse{}}
}

func (n *nonces) sign(ts string) string {
	m := hmac.New(sha256.New, n.secret)
	m.Write([]byte(ts))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

func (n *nonces) issue(now time.Time) string {
	ts := strconv.FormatInt(now.UnixNano(), 36)
	return ts + "." + n.sign(ts)
}

// valid reports whether nonce is ours and fresh; stale is set for ours but too old.
func (n *nonces) valid(nonce string, now time.Time) (ok, stale bool) {
	ts, sig, found := strings.Cut(nonce, ".")
	if !found || !hmac.Equal([]byte(sig), []byte(n.sign(ts))) {
		return false, false
	}
	v, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false, false
	}
	if now.Sub(time.Unix(0, v)) > nonceLifetime {
		return false, true
	}
	return true, false
}

// use records that nonce authenticated a request with count nc (0 without qop) and
// reports whether that use is new: nc above every count used with the nonce before.
func (n *nonces) use(nonce string, nc int, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if u, seen := n.used[nonce]; seen && (nc == 0 || nc <= u.nc) {
		return false
	}
	if len(n.used) >= maxTrackedNonces {
		for k, u := range n.used {
			if now.Sub(u.at) > nonceLifetime {
				delete(n.used, k)
			}
		}
		if len(n.used) >= maxTrackedNonces {
			return false
		}
	}
	at := now
	if u, seen := n.used[nonce]; seen {
		at = u.at
	}
	n.used[nonce] = nonceUse{nc: nc, at: at}
	return true
}

// sameURI reports whether the digest-uri of credentials names the Request-URI (RFC 2617
// section 3.2.2.5): scheme, user, host and port, parameters aside.
func sameURI(digestURI string, ruri sip.Uri) bool {
	var u sip.Uri
	if err := sip.ParseUri(digestURI, &u); err != nil {
		return false
	}
	port := func(p int) int {
		if p == 0 {
			return 5060
		}
		return p
	}
	return strings.EqualFold(u.Scheme, ruri.Scheme) && u.User == ruri.User &&
		strings.EqualFold(u.Host, ruri.Host) && port(u.Port) == port(ruri.Port)
}

// SecurityStats counts, since the gateway started, digest authentication failures (wrong
// answers, unknown users, a digest-uri that is not the Request-URI), lockouts (a source
// address, user name or pair reaching the limit) and malformed SIP messages.
type SecurityStats struct {
	AuthFailures, AuthLockouts, Malformed uint64
}

// SecurityStats returns the counts (cmd exports them as metrics).
func (g *Gateway) SecurityStats() SecurityStats {
	return SecurityStats{AuthFailures: g.throttle.failed.Load(), AuthLockouts: g.throttle.lockouts.Load(),
		Malformed: g.malformed.Load()}
}

// authenticate checks req's digest credentials (header credName) against the agents.
// On failure it answers with a challenge (or 403 for a wrong answer, an unknown user, or
// a source or user locked out by the throttle) and returns false.
func (g *Gateway) authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, proxy bool) (Agent, bool) {
	code, reason, chName, credName := 401, "Unauthorized", "WWW-Authenticate", "Authorization"
	if proxy {
		code, reason, chName, credName = 407, "Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization"
	}
	now := g.cfg.Now()
	challenge := func(stale bool) {
		ch := &digest.Challenge{Realm: g.cfg.Realm, Nonce: g.nonces.issue(now), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
		g.respond(tx, req, code, reason, nil, sip.NewHeader(chName, ch.String()))
	}
	forbidden := func() { g.respond(tx, req, 403, "Forbidden", nil) }
	if g.cfg.Credentials == nil {
		forbidden()
		return Agent{}, false
	}
	h := req.GetHeader(credName)
	if h == nil {
		challenge(false)
		return Agent{}, false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Realm != g.cfg.Realm || cred.Username == "" {
		challenge(false)
		return Agent{}, false
	}
	ip := sourceIP(req.Source())
	if g.throttle.locked(ip, cred.Username, now) {
		forbidden()
		return Agent{}, false
	}
	if ok, stale := g.nonces.valid(cred.Nonce, now); !ok {
		challenge(stale)
		return Agent{}, false
	}
	fail := func(why string) {
		g.throttle.fail(ip, cred.Username, now)
		g.junk.warn("sip digest refused", "user", cred.Username, "source", req.Source(), "method", req.Method.String(), "why", why)
		forbidden()
	}
	if !sameURI(cred.URI, req.Recipient) {
		fail("digest uri is not the request uri")
		return Agent{}, false
	}
	agent, err := g.creds.lookup(ctx, cred.Username, now)
	if err != nil && !errors.Is(err, ErrUnknownAgent) {
		g.log.Error("look up agent", "user", cred.Username, "err", err)
		g.respond(tx, req, 500, "Server Internal Error", nil)
		return Agent{}, false
	}
	if err != nil || agent.HA1 == "" {
		fail("unknown user")
		return Agent{}, false
	}
	if !checkDigest(cred, req.Method.String(), agent.HA1) {
		fail("wrong digest")
		return Agent{}, false
	}
	nc := cred.Nc
	if cred.QOP == "" {
		nc = 0
	}
	if !g.nonces.use(cred.Nonce, nc, now) {
		// A replayed request (or a phone reusing a count): a fresh challenge, which only
		// the holder of the secret can answer.
		challenge(false)
		return Agent{}, false
	}
	g.throttle.ok(ip, cred.Username)
	return agent, true
}

// checkDigest recomputes the response of cred for method from the agent's HA1 (RFC 2617
// section 3.2.2: MD5 or MD5-sess, with qop=auth or without qop) and compares it in
// constant time.
func checkDigest(cred *digest.Credentials, method, ha1 string) bool {
	switch strings.ToUpper(cred.Algorithm) {
	case "", "MD5":
	case "MD5-SESS":
		ha1 = md5hex(ha1 + ":" + cred.Nonce + ":" + cred.Cnonce)
	default:
		return false
	}
	ha2 := md5hex(method + ":" + cred.URI)
	var want string
	switch cred.QOP {
	case "":
		want = md5hex(ha1 + ":" + cred.Nonce + ":" + ha2)
	case "auth":
		want = md5hex(ha1 + ":" + cred.Nonce + ":" + fmt.Sprintf("%08x", cred.Nc) + ":" + cred.Cnonce + ":auth:" + ha2)
	default:
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cred.Response))) == 1
}
