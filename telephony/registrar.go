package telephony

import (
	"context"
	"errors"
	"fmt"
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

// Binding is where an agent's phone can be reached, as the registrar stores it in the
// BindingStore so that registrations survive a restart of the gateway.
type Binding struct {
	// Username is the agent's SIP user name (the address of record).
	Username string
	// UserID is the agent's user id.
	UserID int64
	// Contact is the phone's Contact URI, as the REGISTER gave it.
	Contact string
	// Source is the HOST:PORT the REGISTER came from.
	Source string
	// Transport is the transport the REGISTER came over ("UDP" or "TCP").
	Transport string
	// Expires is when the binding ends unless the phone registers again.
	Expires time.Time
}

// BindingStore keeps agents' phone bindings across restarts of the gateway; cmd wires it
// to Postgres. The registrar writes through to it on every REGISTER and reads it back
// once, on Start. A store error is logged and never fails a REGISTER: the registrar's
// memory stays the source of truth while the gateway runs.
type BindingStore interface {
	// SaveBinding stores b, replacing the agent's binding before it.
	SaveBinding(ctx context.Context, b Binding) error
	// DeleteBinding removes the agent's binding; removing none is not an error.
	DeleteBinding(ctx context.Context, username string) error
	// LoadBindings returns the bindings that have not expired at now.
	LoadBindings(ctx context.Context, now time.Time) ([]Binding, error)
}

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

// RegisteredBinding returns the agent phone's live binding: where the gateway calls it.
func (g *Gateway) RegisteredBinding(username string) (Binding, bool) {
	b, ok := g.registrar.lookup(username, time.Now())
	if !ok {
		return Binding{}, false
	}
	return b.stored(), true
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
		if g.cfg.Bindings != nil {
			if err := g.cfg.Bindings.DeleteBinding(ctx, agent.Username); err != nil {
				g.log.Error("delete stored sip binding", "user", agent.Username, "err", err)
			}
		}
		g.respond(tx, req, 200, "OK", nil)
		g.log.Info("agent unregistered", "user", agent.Username)
		return
	}
	if expires < minExpires {
		g.respond(tx, req, 423, "Interval Too Brief", nil, sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
		return
	}
	expires = min(expires, maxExpires)
	b := binding{
		agent: agent, contact: *c.Address.Clone(), source: req.Source(), transport: req.Transport(),
		expires: time.Now().Add(time.Duration(expires) * time.Second),
	}
	g.registrar.put(b)
	if g.cfg.Bindings != nil {
		if err := g.cfg.Bindings.SaveBinding(ctx, b.stored()); err != nil {
			g.log.Error("store sip binding", "user", agent.Username, "err", err)
		}
	}
	ch := &sip.ContactHeader{Address: *c.Address.Clone(), Params: sip.NewParams()}
	ch.Params.Add("expires", strconv.Itoa(expires))
	g.respond(tx, req, 200, "OK", nil, ch)
	g.log.Info("agent registered", "user", agent.Username, "contact", c.Address.String(), "expires", expires)
}

// stored returns the binding as the BindingStore keeps it.
func (b binding) stored() Binding {
	return Binding{Username: b.agent.Username, UserID: b.agent.UserID, Contact: b.contact.String(),
		Source: b.source, Transport: b.transport, Expires: b.expires}
}

// loadBindings puts the stored, unexpired bindings back in the registrar, so that agents'
// phones stay reachable across a restart. Each agent is looked up again through the
// Credentials: one who is no longer an active agent, or whose user name now belongs to
// another user, is skipped. A store that cannot be read is logged; the registrar then
// starts empty and phones come back as they re-register.
func (g *Gateway) loadBindings() {
	if g.cfg.Bindings == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	stored, err := g.cfg.Bindings.LoadBindings(ctx, now)
	if err != nil {
		g.log.Error("load stored sip bindings; phones must register again", "err", err)
		return
	}
	n := 0
	for _, sb := range stored {
		b, err := g.restoreBinding(ctx, sb, now)
		if err != nil {
			g.log.Warn("stored sip binding skipped", "user", sb.Username, "err", err)
			continue
		}
		g.registrar.put(b)
		n++
	}
	g.log.Info("sip bindings restored", "restored", n, "stored", len(stored))
}

// restoreBinding turns a stored binding back into the registrar's, checking the agent.
func (g *Gateway) restoreBinding(ctx context.Context, sb Binding, now time.Time) (binding, error) {
	if !sb.Expires.After(now) {
		return binding{}, errors.New("expired")
	}
	if g.cfg.Credentials == nil {
		return binding{}, errors.New("no credentials to look up the agent")
	}
	agent, err := g.cfg.Credentials.LookupAgent(ctx, sb.Username)
	if err != nil {
		return binding{}, fmt.Errorf("look up agent: %w", err)
	}
	if sb.UserID != 0 && agent.UserID != sb.UserID {
		return binding{}, fmt.Errorf("user name now belongs to user %d, not %d", agent.UserID, sb.UserID)
	}
	var contact sip.Uri
	if err := sip.ParseUri(sb.Contact, &contact); err != nil {
		return binding{}, fmt.Errorf("contact %q: %w", sb.Contact, err)
	}
	if contact.Host == "" {
		return binding{}, fmt.Errorf("contact %q has no host", sb.Contact)
	}
	return binding{agent: agent, contact: contact, source: sb.Source, transport: sb.Transport, expires: sb.Expires}, nil
}
