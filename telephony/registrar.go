package telephony

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Registration limits, in seconds (RFC 3261 section 10.3).
const (
	defaultExpires = 3600
	minExpires     = 60
	maxExpires     = 3600
)

// binding is where an agent's phone can be reached.
type binding struct {
	agent     Agent
	contact   sip.Uri
	source    string
	transport string
	expires   time.Time
}

// registrar holds the current binding of each agent's phone (one per agent: the latest).
type registrar struct {
	mu sync.Mutex
	m  map[string]binding
}

func newRegistrar() *registrar { return &registrar{m: map[string]binding{}} }

func (r *registrar) put(b binding) {
	r.mu.Lock()
	r.m[b.agent.Username] = b
	r.mu.Unlock()
}

func (r *registrar) remove(user string) {
	r.mu.Lock()
	delete(r.m, user)
	r.mu.Unlock()
}

// lookup returns the agent's live binding.
func (r *registrar) lookup(user string, now time.Time) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.m[user]
	if !ok || now.After(b.expires) {
		delete(r.m, user)
		return binding{}, false
	}
	return b, true
}

// Registered reports whether the agent's phone is registered now.
func (g *Gateway) Registered(username string) bool {
	_, ok := g.registrar.lookup(username, time.Now())
	return ok
}

// onRegister is the registrar (RFC 3261 section 10.3), for agents only.
func (g *Gateway) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if !wellFormed(req) {
		g.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	agent, ok := g.authenticate(ctx, req, tx, false)
	if !ok {
		return
	}
	// The address of record is the To URI; it must be the authenticated agent.
	if req.To().Address.User != agent.Username {
		g.respond(tx, req, 403, "Forbidden", nil)
		return
	}
	expires := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(h.Value()); err == nil {
			expires = v
		}
	}
	c := req.Contact()
	if c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				expires = n
			}
		}
	}
	if c == nil {
		// A query: answer with the current binding.
		if b, ok := g.registrar.lookup(agent.Username, time.Now()); ok {
			g.respond(tx, req, 200, "OK", nil, &sip.ContactHeader{Address: b.contact})
			return
		}
		g.respond(tx, req, 200, "OK", nil)
		return
	}
	if expires == 0 || c.Address.Wildcard {
		g.registrar.remove(agent.Username)
		g.respond(tx, req, 200, "OK", nil)
		return
	}
	if expires < minExpires {
		g.respond(tx, req, 423, "Interval Too Brief", nil, sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
		return
	}
	expires = min(expires, maxExpires)
	g.registrar.put(binding{
		agent: agent, contact: *c.Address.Clone(), source: req.Source(), transport: req.Transport(),
		expires: time.Now().Add(time.Duration(expires) * time.Second),
	})
	ch := &sip.ContactHeader{Address: *c.Address.Clone(), Params: sip.NewParams()}
	ch.Params.Add("expires", strconv.Itoa(expires))
	g.respond(tx, req, 200, "OK", nil, ch)
	g.log.Info("agent registered", "user", agent.Username, "contact", c.Address.String(), "expires", expires)
}
