package agentui

import (
	"context"
	"log/slog"
)

// hub owns the set of WebSocket clients, in the style of gorilla/websocket's chat
// example: one goroutine (run) registers and unregisters clients and fans messages out
// to them; nothing else touches the set. All operations go through one channel, so a
// client registered before a message is sent receives it.
type hub struct {
	log     *slog.Logger
	ops     chan hubOp
	clients map[*client]bool
	// byUser and boards index the clients by user, and the wallboards by dealer; notes
	// the directors' notice connections (any page they have open) by dealer.
	byUser map[int64]map[*client]bool
	boards map[int64]map[*client]bool
	notes  map[int64]map[*client]bool
}

type hubOpKind int

const (
	opRegister hubOpKind = iota
	opUnregister
	opToUser
	opToDirectors
	opWatched
	opToClient
	opCloseSession
	opToNotes
)

type hubOp struct {
	kind     hubOpKind
	session  string
	c        *client
	userID   int64
	dealerID int64
	data     []byte
	reply    chan []int64
}

func newHub(log *slog.Logger) *hub {
	return &hub{log: log, ops: make(chan hubOp, 4096), clients: map[*client]bool{},
		byUser: map[int64]map[*client]bool{}, boards: map[int64]map[*client]bool{}, notes: map[int64]map[*client]bool{}}
}

// run serves the hub until ctx ends, then closes every client.
func (h *hub) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			for c := range h.clients {
				h.remove(c)
			}
			return
		case op := <-h.ops:
			h.apply(op)
		}
	}
}

func (h *hub) apply(op hubOp) {
	switch op.kind {
	case opRegister:
		c := op.c
		h.clients[c] = true
		index, key := h.indexOf(c)
		if index[key] == nil {
			index[key] = map[*client]bool{}
		}
		index[key][c] = true
	case opUnregister:
		if h.clients[op.c] {
			h.remove(op.c)
		}
	case opToUser:
		for c := range h.byUser[op.userID] {
			h.deliver(c, op.data)
		}
	case opCloseSession:
		for c := range h.clients {
			if c.session == op.session {
				h.remove(c)
			}
		}
	case opToClient:
		if h.clients[op.c] {
			h.deliver(op.c, op.data)
		}
	case opToDirectors:
		for c := range h.boards[op.dealerID] {
			h.deliver(c, op.data)
		}
	case opToNotes:
		for c := range h.notes[op.dealerID] {
			h.deliver(c, op.data)
		}
	case opWatched:
		ids := make([]int64, 0, len(h.boards))
		for id := range h.boards {
			ids = append(ids, id)
		}
		op.reply <- ids
	}
}

// remove drops a registered client and closes its send channel.
func (h *hub) remove(c *client) {
	delete(h.clients, c)
	index, key := h.indexOf(c)
	delete(index[key], c)
	if len(index[key]) == 0 {
		delete(index, key)
	}
	close(c.send)
}

// indexOf is the index a client is kept in, and its key there.
func (h *hub) indexOf(c *client) (map[int64]map[*client]bool, int64) {
	switch {
	case c.wallboard:
		return h.boards, c.user.DealerID
	case c.notify:
		return h.notes, c.user.DealerID
	}
	return h.byUser, c.user.ID
}

// deliver queues data for a client; a client too slow to keep up is dropped (its
// browser reconnects and receives a fresh snapshot).
func (h *hub) deliver(c *client, data []byte) {
	select {
	case c.send <- data:
	default:
		h.log.Warn("websocket client too slow, dropping", "user", c.user.Username)
		h.remove(c)
	}
}

func (h *hub) do(ctx context.Context, op hubOp) bool {
	select {
	case h.ops <- op:
		return true
	case <-ctx.Done():
		return false
	}
}

// register adds c; unregister removes it and closes its send channel.
func (h *hub) register(ctx context.Context, c *client) bool {
	return h.do(ctx, hubOp{kind: opRegister, c: c})
}

func (h *hub) unregister(ctx context.Context, c *client) {
	h.do(ctx, hubOp{kind: opUnregister, c: c})
}

// toUser sends data to every connection of a user.
func (h *hub) toUser(ctx context.Context, userID int64, data []byte) {
	h.do(ctx, hubOp{kind: opToUser, userID: userID, data: data})
}

// closeSession closes every connection opened with a session (at logout).
func (h *hub) closeSession(ctx context.Context, tokenHash string) {
	h.do(ctx, hubOp{kind: opCloseSession, session: tokenHash})
}

// closeSession closes every connection opened with a session, on every console process.
func (h *handler) closeSession(ctx context.Context, tokenHash string) {
	h.hub.closeSession(ctx, tokenHash)
	if h.cluster != nil {
		h.cluster.closeSession(ctx, tokenHash)
	}
}

// toClient sends data to one connection.
func (h *hub) toClient(ctx context.Context, c *client, data []byte) {
	h.do(ctx, hubOp{kind: opToClient, c: c, data: data})
}

// toDirectors sends data to every wallboard of a dealer.
func (h *hub) toDirectors(ctx context.Context, dealerID int64, data []byte) {
	h.do(ctx, hubOp{kind: opToDirectors, dealerID: dealerID, data: data})
}

// toNotes sends data to every directors' notice connection of a dealer.
func (h *hub) toNotes(ctx context.Context, dealerID int64, data []byte) {
	h.do(ctx, hubOp{kind: opToNotes, dealerID: dealerID, data: data})
}

// watchedDealers returns the dealers that have a wallboard open.
func (h *hub) watchedDealers(ctx context.Context) []int64 {
	reply := make(chan []int64, 1)
	if !h.do(ctx, hubOp{kind: opWatched, reply: reply}) {
		return nil
	}
	select {
	case ids := <-reply:
		return ids
	case <-ctx.Done():
		return nil
	}
}
