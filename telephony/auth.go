package telephony

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Agent is an agent's SIP identity, as the Credentials give it.
type Agent struct {
	// Username is the SIP user name the phone authenticates with.
	Username string
	// Password is the agent's SIP secret (users.sip_password).
	Password string
	// UserID and DealerID identify the agent in store.
	UserID   int64
	DealerID int64
}

// ErrUnknownAgent is what Credentials return for a user name that is not an active agent
// with a SIP password.
var ErrUnknownAgent = errors.New("telephony: unknown agent")

// Credentials look up agents' SIP secrets; cmd wires them to the users table.
type Credentials interface {
	// LookupAgent returns the agent with this SIP user name, or ErrUnknownAgent.
	LookupAgent(ctx context.Context, username string) (Agent, error)
}

// nonceLifetime is how long a digest nonce we issued stays valid.
const nonceLifetime = 5 * time.Minute

// nonces issues and checks stateless digest nonces: a time stamp and its HMAC under a
// secret that lives as long as the gateway.
type nonces struct{ secret []byte }

func newNonces() *nonces {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return &nonces{secret: b}
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

// authenticate checks req's digest credentials (header credName) against the agents.
// On failure it answers with a challenge (or 403 for a known user with a wrong
// password) and returns false.
func (g *Gateway) authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, proxy bool) (Agent, bool) {
	code, reason, chName, credName := 401, "Unauthorized", "WWW-Authenticate", "Authorization"
	if proxy {
		code, reason, chName, credName = 407, "Proxy Authentication Required", "Proxy-Authenticate", "Proxy-Authorization"
	}
	challenge := func(stale bool) {
		ch := &digest.Challenge{Realm: g.cfg.Realm, Nonce: g.nonces.issue(time.Now()), Algorithm: "MD5", QOP: []string{"auth"}, Stale: stale}
		g.respond(tx, req, code, reason, nil, sip.NewHeader(chName, ch.String()))
	}
	if g.cfg.Credentials == nil {
		g.respond(tx, req, 403, "Forbidden", nil)
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
	if ok, stale := g.nonces.valid(cred.Nonce, time.Now()); !ok {
		challenge(stale)
		return Agent{}, false
	}
	agent, err := g.cfg.Credentials.LookupAgent(ctx, cred.Username)
	if err != nil || agent.Password == "" {
		if err != nil && !errors.Is(err, ErrUnknownAgent) {
			g.log.Error("look up agent", "user", cred.Username, "err", err)
			g.respond(tx, req, 500, "Server Internal Error", nil)
			return Agent{}, false
		}
		g.respond(tx, req, 403, "Forbidden", nil)
		return Agent{}, false
	}
	if !checkDigest(cred, req.Method.String(), agent.Password) {
		g.respond(tx, req, 403, "Forbidden", nil)
		return Agent{}, false
	}
	return agent, true
}

// checkDigest recomputes the response of cred for method and password (RFC 2617/7616,
// MD5 with or without qop=auth).
func checkDigest(cred *digest.Credentials, method, password string) bool {
	chal := &digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, Opaque: cred.Opaque}
	if cred.QOP != "" {
		if cred.QOP != "auth" {
			return false
		}
		chal.QOP = []string{"auth"}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: method, URI: cred.URI, Username: cred.Username, Password: password,
		Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want.Response), []byte(cred.Response)) == 1
}
