package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

const (
	writeWait      = 10 * time.Second
	maxMessageSize = 64 << 10
	sendBuffer     = 256
)

// client is one WebSocket connection: one reader goroutine (readPump) and one writer
// goroutine (writePump); only the writer writes to the connection.
type client struct {
	hub       *hub
	conn      *websocket.Conn
	send      chan []byte
	user      user
	session   string
	wallboard bool
	// owner, with a cluster, is the process that owns the agent when it is not this
	// one: the connection is served through it (cluster.go).
	owner string
	// notify marks a director's notice connection (view=notify): complaint notices
	// only, from any page (static/notify.js).
	notify bool
}

// websocket upgrades a logged-in user's request, refusing foreign origins, and serves
// the agent's live state (and, for directors on the wallboard, the wallboard).
func (h *handler) websocket(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	if !h.origins[r.Header.Get("Origin")] {
		h.fail(w, r, errStatus(http.StatusForbidden, "origin not allowed"))
		return
	}
	view := r.URL.Query().Get("view")
	if (view == "wallboard" || view == "notify") && !u.IsDirector() {
		h.fail(w, r, errForbidden)
		return
	}
	up := websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool { return h.origins[r.Header.Get("Origin")] },
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		h.log.InfoContext(r.Context(), "websocket upgrade failed", "user", u.Username, "err", err)
		return
	}
	c := &client{hub: h.hub, conn: conn, send: make(chan []byte, sendBuffer), user: *u,
		session: sessionFrom(r).tokenHash, wallboard: view == "wallboard", notify: view == "notify"}
	ctx := context.WithoutCancel(r.Context())
	if h.cluster != nil && !c.wallboard && !c.notify {
		owner, err := h.cluster.claim(ctx, u.ID)
		if err != nil {
			// Without Redis the agent is served here, as by a console of its own, and
			// shared again once Redis answers (cluster.keepLeases).
			h.log.Warn("websocket: console cluster unavailable, serving the agent here", "user", u.Username, "err", err)
		}
		c.owner = owner
	}
	if !h.hub.register(ctx, c) {
		conn.Close()
		return
	}
	go c.writePump(h.cfg.PingInterval)
	switch {
	case c.wallboard:
		h.sendWallboard(ctx, c)
	case c.owner != "":
		h.cluster.forward(ctx, c.owner, c.user, "attach", inMsg{})
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go h.cluster.watchOwner(wctx, c, c.owner)
	case c.notify:
	default:
		h.agents.get(*u).attach(ctx)
	}
	c.readPump(h)
}

type inMsg struct {
	Type   string `json:"type"`
	Mode   string `json:"mode"`
	Reason string `json:"reason"`
	// ID and SDP are a browser phone's offer (rtc_offer).
	ID  string `json:"id"`
	SDP string `json:"sdp"`
	outcomeMsg
}

func (c *client) readPump(h *handler) {
	ctx := context.Background()
	var a *agent
	if !c.wallboard && !c.notify && c.owner == "" {
		a = h.agents.get(c.user)
	}
	defer func() {
		c.hub.unregister(ctx, c)
		c.conn.Close()
		if a != nil {
			a.detach(ctx)
		}
		if c.owner != "" {
			h.cluster.forward(ctx, c.owner, c.user, "detach", inMsg{})
		}
	}()
	c.conn.SetReadLimit(maxMessageSize)
	pongWait := 2 * h.cfg.PingInterval
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
		var m inMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(map[string]any{"type": "error", "message": "bad message"})
			continue
		}
		if m.Type == "ping" {
			c.reply(map[string]any{"type": "pong", "server_time": h.deps.Now().UnixMilli()})
			continue
		}
		if c.owner != "" {
			h.cluster.forward(ctx, c.owner, c.user, "msg", m)
			continue
		}
		if a == nil {
			continue
		}
		if m.Type == "rtc_offer" || m.Type == "rtc_end" {
			h.webPhone(a, m, c.reply)
			continue
		}
		a.handle(ctx, m)
	}
}

// reply sends a message to this connection only, through the hub.
func (c *client) reply(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.hub.toClient(context.Background(), c, b)
}

func (c *client) writePump(pingInterval time.Duration) {
	ticker := time.NewTicker(pingInterval)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, []byte{})
				return
			}
			if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// webPhone handles the browser phone's signalling: an offer is answered through reply
// (to the connection that sent it; another tab of the agent ignores it by id), off the
// read loop since gathering the gateway's candidates may take a moment. The gateway is
// the one of the process that owns the agent, which places the agent's calls.
func (h *handler) webPhone(a *agent, m inMsg, reply func(any)) {
	wp := h.deps.WebPhone
	if wp == nil {
		reply(map[string]any{"type": "rtc_error", "id": m.ID, "code": "rtc_off", "message": t(langZH, "err.rtc_off")})
		return
	}
	if m.Type == "rtc_end" {
		wp.End(a.u.Username)
		return
	}
	if len(m.ID) == 0 || len(m.ID) > 64 || m.SDP == "" {
		reply(map[string]any{"type": "rtc_error", "id": m.ID, "code": "rtc_failed", "message": t(langZH, "err.rtc_failed")})
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		answer, err := wp.Offer(ctx, WebPhoneAgent{UserID: a.u.ID, DealerID: a.u.DealerID, Username: a.u.Username}, m.SDP)
		if err != nil {
			code := "rtc_failed"
			if errors.Is(err, ErrSIPPhoneConnected) {
				code = "rtc_sip_phone"
			}
			h.log.Warn("browser phone offer", "user", a.u.Username, "err", err)
			reply(map[string]any{"type": "rtc_error", "id": m.ID, "code": code, "message": t(langZH, "err."+code)})
			return
		}
		reply(map[string]any{"type": "rtc_answer", "id": m.ID, "sdp": answer})
	}()
}
