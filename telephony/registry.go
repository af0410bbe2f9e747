package telephony

import (
	"sync"
)

// registry is the gateway's own table of live dialogs, keyed by Call-ID and our tag. sipgo
// routes messages to transactions; which call a request belongs to is decided here.
type registry struct {
	mu   sync.Mutex
	legs map[string]*leg
}

func newRegistry() *registry { return &registry{legs: map[string]*leg{}} }

func dialogKey(callID, localTag string) string { return callID + "\x00" + localTag }

func (r *registry) add(l *leg) {
	r.mu.Lock()
	r.legs[dialogKey(l.callID, l.localTag)] = l
	r.mu.Unlock()
}

func (r *registry) remove(l *leg) {
	r.mu.Lock()
	k := dialogKey(l.callID, l.localTag)
	if r.legs[k] == l {
		delete(r.legs, k)
	}
	r.mu.Unlock()
}

func (r *registry) get(callID, localTag string) *leg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.legs[dialogKey(callID, localTag)]
}

// Len returns the number of live dialogs.
func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.legs)
}
