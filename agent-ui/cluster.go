package agentui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/huifang/huifang/store"
)

// cluster shares the console between any number of processes on one Redis (Deps.Cluster),
// so that any process can hold any agent's WebSocket and every wallboard shows every
// agent.
//
// Each agent's working state (agent.go) runs in exactly one process at a time, its
// owner, which holds a lease in Redis (<prefix>agent:<id>:owner, renewed every
// ClusterLease/3, given up when the agent is idle and gone). A browser that connects to
// another process is served there through its owner: what the browser sends is
// published to the owner's channel (console:in:<process>), and what the owner sends to
// the agent is published on console:out:<user> for the other processes' connections.
// The owner writes the agent's state to Redis (console:agent:<id>:state) at each change;
// when the owner dies its lease runs out, the browser's connection there is closed, and
// the process the browser reconnects to takes the lease and resumes from that state: the
// task on screen, a call (which ended with its process: wrap-up follows) and the
// outcomes already saved (an outcome is stored once per client id by the queue anyway).
//
// Wallboards: every summary an owner publishes is kept in a hash per dealer
// (console:wb:<dealer>) and published on console:wbch:<dealer>; a wallboard that
// connects reads the hash (agents whose owner has no lease any more show offline), and
// then receives every process's changes.
type cluster struct {
	h     *handler
	rdb   redis.UniversalClient
	proc  string
	lease time.Duration
	// prefix starts every key and channel name.
	prefix string

	mu     sync.Mutex
	queues map[int64]chan clusterIn
}

// Keys and channels are named under prefix, which carries the Redis database number:
// keys are per database, channels are not, and two deployments (or two tests) on one
// Redis server must not hear each other.
func (cl *cluster) ownerKey(userID int64) string {
	return fmt.Sprintf("%sagent:%d:owner", cl.prefix, userID)
}
func (cl *cluster) stateKey(userID int64) string {
	return fmt.Sprintf("%sagent:%d:state", cl.prefix, userID)
}
func (cl *cluster) wbKey(dealerID int64) string  { return fmt.Sprintf("%swb:%d", cl.prefix, dealerID) }
func (cl *cluster) inChannel(proc string) string { return cl.prefix + "in:" + proc }

// holdingKey is the set of agents whose saved state holds a task.
func (cl *cluster) holdingKey() string { return cl.prefix + "holding" }

// opTimeout bounds each Redis operation of an agent's action: with Redis down the
// console goes on in each process alone rather than waiting.
const opTimeout = time.Second

// stateTTL bounds how long an agent's state outlives its last change.
const stateTTL = 24 * time.Hour

func newCluster(h *handler, rdb redis.UniversalClient, lease time.Duration) *cluster {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	db := 0
	if c, ok := rdb.(*redis.Client); ok {
		db = c.Options().DB
	}
	return &cluster{h: h, rdb: rdb, proc: hex.EncodeToString(b), lease: lease, queues: map[int64]chan clusterIn{},
		prefix: fmt.Sprintf("huifang:console:%d:%s:", db, databaseTag(h.deps.DB))}
}

// databaseTag names the Postgres database the agents' tasks live in (its cluster's system
// identifier, the database's name and oid, and the schema), so two deployments or a recreated database on one
// Redis never take each other's agent states for their own: a state saved against another
// database would show the agent a task that is not theirs. "" when it cannot be read.
func databaseTag(db *pgxpool.Pool) string {
	if db == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var tag string
	if err := db.QueryRow(ctx, `SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' || current_database() ||
		'/' || (SELECT oid FROM pg_database WHERE datname = current_database())::text || '/' || current_schema()`).Scan(&tag); err != nil {
		return ""
	}
	return tag
}

// claimScript takes an agent's lease when nobody holds it, renews it when we do, and
// returns the holder.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`)

// releaseScript gives up our lease.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// claim returns "" when this process owns the agent now, or the owning process.
func (cl *cluster) claim(ctx context.Context, userID int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	v, err := claimScript.Run(ctx, cl.rdb, []string{cl.ownerKey(userID)}, cl.proc, cl.lease.Milliseconds()).Text()
	if err != nil {
		return "", fmt.Errorf("console cluster: claim agent %d: %w", userID, err)
	}
	if v == cl.proc {
		return "", nil
	}
	return v, nil
}

// owner returns the process holding the agent's lease ("" when none).
func (cl *cluster) owner(ctx context.Context, userID int64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	v, err := cl.rdb.Get(ctx, cl.ownerKey(userID)).Result()
	if err == redis.Nil {
		return "", nil
	}
	return v, err
}

// clusterIn is a message to an agent's owner from a connection held by another process.
type clusterIn struct {
	Kind string `json:"kind"` // attach, detach or msg
	User user   `json:"user"`
	TZ   string `json:"tz"`
	Msg  inMsg  `json:"msg"`
}

// clusterOut is a message from an agent's owner to the agent's connections elsewhere,
// or a wallboard summary.
type clusterOut struct {
	From    string          `json:"from"`
	Data    json.RawMessage `json:"data,omitempty"`
	UserID  int64           `json:"user_id,omitempty"`
	Summary map[string]any  `json:"summary,omitempty"`
}

// forward sends what a connection on this process received to the agent's owner.
func (cl *cluster) forward(ctx context.Context, owner string, u user, kind string, m inMsg) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, err := json.Marshal(clusterIn{Kind: kind, User: u, TZ: u.TimeZone, Msg: m})
	if err == nil {
		err = cl.rdb.Publish(ctx, cl.inChannel(owner), b).Err()
	}
	if err != nil {
		cl.h.log.Error("console cluster: forward to the agent's owner", "user", u.Username, "owner", owner, "err", err)
	}
}

// toUser publishes data for the agent's connections held by other processes.
func (cl *cluster) toUser(ctx context.Context, userID int64, data []byte) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, _ := json.Marshal(clusterOut{From: cl.proc, Data: data})
	if err := cl.rdb.Publish(ctx, cl.prefix+"out:"+strconv.FormatInt(userID, 10), b).Err(); err != nil {
		cl.h.log.Error("console cluster: publish to the agent", "user_id", userID, "err", err)
	}
}

// toNotes publishes a complaint notice for the dealer's directors' notice connections
// held by other processes (complaint_notices.go).
func (cl *cluster) toNotes(ctx context.Context, dealerID int64, data []byte) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, _ := json.Marshal(clusterOut{From: cl.proc, Data: data})
	if err := cl.rdb.Publish(ctx, cl.prefix+"notes:"+strconv.FormatInt(dealerID, 10), b).Err(); err != nil {
		cl.h.log.Error("console cluster: publish a complaint notice", "dealer", dealerID, "err", err)
	}
}

// summary stores and publishes an agent's wallboard line.
func (cl *cluster) summary(ctx context.Context, dealerID, userID int64, s map[string]any) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	sb, _ := json.Marshal(s)
	b, _ := json.Marshal(clusterOut{From: cl.proc, UserID: userID, Summary: s})
	_, err := cl.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, cl.wbKey(dealerID), strconv.FormatInt(userID, 10), sb)
		p.Expire(ctx, cl.wbKey(dealerID), stateTTL)
		p.Publish(ctx, cl.prefix+"wbch:"+strconv.FormatInt(dealerID, 10), b)
		return nil
	})
	if err != nil {
		cl.h.log.Error("console cluster: publish wallboard line", "user_id", userID, "err", err)
	}
}

// closeSession closes a session's connections on every process.
func (cl *cluster) closeSession(ctx context.Context, tokenHash string) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := cl.rdb.Publish(ctx, cl.prefix+"close", tokenHash).Err(); err != nil {
		cl.h.log.Error("console cluster: close session", "err", err)
	}
}

// save writes the agent's state for whichever process owns the agent next.
func (cl *cluster) save(ctx context.Context, a *agent) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, err := json.Marshal(a.snapLocked())
	if err == nil {
		_, err = cl.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, cl.stateKey(a.u.ID), b, stateTTL)
			if a.task != nil {
				p.SAdd(ctx, cl.holdingKey(), a.u.ID)
			} else {
				p.SRem(ctx, cl.holdingKey(), a.u.ID)
			}
			return nil
		})
	}
	if err != nil {
		cl.h.log.Error("console cluster: save agent state", "user", a.u.Username, "err", err)
	}
}

// load reads the agent's saved state; ok is false when there is none.
func (cl *cluster) load(ctx context.Context, userID int64) (s agentSnap, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	b, err := cl.rdb.Get(ctx, cl.stateKey(userID)).Bytes()
	if err != nil {
		if err != redis.Nil {
			cl.h.log.Error("console cluster: load agent state", "user_id", userID, "err", err)
		}
		return s, false
	}
	if err := json.Unmarshal(b, &s); err != nil {
		cl.h.log.Error("console cluster: decode agent state", "user_id", userID, "err", err)
		return s, false
	}
	return s, true
}

// wallboardAgents returns a dealer's agents as every process last published them; an
// agent whose owner holds no lease any more shows offline.
func (cl *cluster) wallboardAgents(ctx context.Context, dealerID int64) ([]map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	all, err := cl.rdb.HGetAll(ctx, cl.wbKey(dealerID)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(all))
	keys := make([]string, 0, len(all))
	for _, v := range all {
		var s map[string]any
		if json.Unmarshal([]byte(v), &s) != nil {
			continue
		}
		id, _ := s["user_id"].(float64)
		out = append(out, s)
		keys = append(keys, cl.ownerKey(int64(id)))
	}
	if len(keys) == 0 {
		return out, nil
	}
	owners, err := cl.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	for i, o := range owners {
		if o == nil && out[i]["connected"] == true {
			out[i]["connected"], out[i]["status"] = false, statusOffline
		}
	}
	return out, nil
}

// run receives the other processes' messages until ctx ends, and keeps this process's
// leases.
func (cl *cluster) run(ctx context.Context) {
	ps := cl.rdb.PSubscribe(ctx, cl.prefix+"out:*", cl.prefix+"wbch:*", cl.prefix+"notes:*")
	defer ps.Close()
	if err := ps.Subscribe(ctx, cl.inChannel(cl.proc), cl.prefix+"close"); err != nil {
		cl.h.log.Error("console cluster: subscribe", "err", err)
	}
	go cl.keepLeases(ctx)
	ch := ps.Channel(redis.WithChannelSize(4096))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			cl.receive(ctx, m)
		}
	}
}

func (cl *cluster) receive(ctx context.Context, m *redis.Message) {
	switch {
	case m.Channel == cl.prefix+"close":
		cl.h.hub.closeSession(ctx, m.Payload)
	case m.Channel == cl.inChannel(cl.proc):
		var in clusterIn
		if err := json.Unmarshal([]byte(m.Payload), &in); err != nil {
			cl.h.log.Error("console cluster: bad message", "err", err)
			return
		}
		in.User.TimeZone = in.TZ
		if string(in.Msg.Answers) == "null" {
			in.Msg.Answers = nil
		}
		cl.queueFor(ctx, in.User.ID) <- in
	case strings.HasPrefix(m.Channel, cl.prefix+"out:"):
		var out clusterOut
		id, err := strconv.ParseInt(strings.TrimPrefix(m.Channel, cl.prefix+"out:"), 10, 64)
		if err != nil || json.Unmarshal([]byte(m.Payload), &out) != nil || out.From == cl.proc {
			return
		}
		cl.h.hub.toUser(ctx, id, out.Data)
	case strings.HasPrefix(m.Channel, cl.prefix+"notes:"):
		var out clusterOut
		id, err := strconv.ParseInt(strings.TrimPrefix(m.Channel, cl.prefix+"notes:"), 10, 64)
		if err != nil || json.Unmarshal([]byte(m.Payload), &out) != nil || out.From == cl.proc {
			return
		}
		cl.h.hub.toNotes(ctx, id, out.Data)
	case strings.HasPrefix(m.Channel, cl.prefix+"wbch:"):
		var out clusterOut
		id, err := strconv.ParseInt(strings.TrimPrefix(m.Channel, cl.prefix+"wbch:"), 10, 64)
		if err != nil || json.Unmarshal([]byte(m.Payload), &out) != nil || out.From == cl.proc {
			return
		}
		cl.h.wallboardRecord(id, out.UserID, out.Summary)
	}
}

// queueFor returns the queue of one agent's forwarded messages: they run in order, and an
// agent busy with the queue or the gateway holds up nobody else.
func (cl *cluster) queueFor(ctx context.Context, userID int64) chan clusterIn {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	q := cl.queues[userID]
	if q == nil {
		q = make(chan clusterIn, 256)
		cl.queues[userID] = q
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case in := <-q:
					cl.apply(ctx, in)
				}
			}
		}()
	}
	return q
}

// apply runs a forwarded message on the agent this process owns.
func (cl *cluster) apply(ctx context.Context, in clusterIn) {
	a := cl.h.agents.get(in.User)
	switch in.Kind {
	case "attach":
		a.mu.Lock()
		a.remote++
		a.mu.Unlock()
		a.attach(ctx)
	case "detach":
		a.mu.Lock()
		if a.remote > 0 {
			a.remote--
		}
		a.mu.Unlock()
		a.detach(ctx)
	case "msg":
		if in.Msg.Type == "rtc_offer" || in.Msg.Type == "rtc_end" {
			// Answered to every connection of the agent; the tab that offered knows
			// its id.
			cl.h.webPhone(a, in.Msg, func(v any) {
				b, err := json.Marshal(v)
				if err != nil {
					return
				}
				cl.h.hub.toUser(ctx, a.u.ID, b)
				cl.toUser(ctx, a.u.ID, b)
			})
			return
		}
		a.handle(ctx, in.Msg)
	}
}

// keepLeases renews the leases of the agents this process owns every lease/3, and gives
// up those of agents who are gone and hold nothing (another process may then take them
// at once).
func (cl *cluster) keepLeases(ctx context.Context) {
	t := time.NewTicker(cl.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cl.adoptOrphans(ctx)
		for _, a := range cl.h.agents.list() {
			a.mu.Lock()
			idle := a.conns == 0 && a.task == nil && a.phase == phaseIdle
			a.mu.Unlock()
			if idle {
				if err := releaseScript.Run(ctx, cl.rdb, []string{cl.ownerKey(a.u.ID)}, cl.proc).Err(); err == nil {
					cl.h.agents.drop(a)
				}
				continue
			}
			// Claiming renews our lease, and takes it again when Redis lost it (a
			// restart, a failover) or it was never taken (Redis was down at connect).
			other, err := cl.claim(ctx, a.u.ID)
			if err != nil {
				cl.h.log.Warn("console cluster: renew lease", "user", a.u.Username, "err", err)
				continue
			}
			if other != "" {
				// Another process took the agent (this one was cut off from Redis for
				// longer than the lease): it is theirs now.
				cl.h.log.Warn("console cluster: lease lost, agent dropped here", "user", a.u.Username)
				cl.h.agents.drop(a)
			}
		}
	}
}

// adoptOrphans takes over the agents holding a task whose owner is gone (a process
// killed, its agents' browsers closed): the agent shows offline, and the offline sweep
// gives a task not yet called back to the queue after the grace, as for any agent who
// left. Whichever process claims the lease first adopts the agent.
func (cl *cluster) adoptOrphans(ctx context.Context) {
	ids, err := cl.rdb.SMembers(ctx, cl.holdingKey()).Result()
	if err != nil || len(ids) == 0 {
		return
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		n, _ := strconv.ParseInt(id, 10, 64)
		keys[i] = cl.ownerKey(n)
	}
	owners, err := cl.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return
	}
	for i, o := range owners {
		if o != nil {
			continue
		}
		id, _ := strconv.ParseInt(ids[i], 10, 64)
		if other, err := cl.claim(ctx, id); err != nil || other != "" {
			continue
		}
		s, ok := cl.load(ctx, id)
		if !ok || s.User.ID != id {
			_ = cl.rdb.SRem(ctx, cl.holdingKey(), ids[i]).Err()
			_ = releaseScript.Run(ctx, cl.rdb, []string{cl.ownerKey(id)}, cl.proc).Err()
			continue
		}
		s.User.TimeZone = s.TZ
		a := cl.h.agents.get(s.User)
		cl.h.log.Info("console cluster: adopted an agent whose process is gone", "user", s.User.Username)
		a.mu.Lock()
		ctx2, cancel := actionCtx()
		a.publishLocked(ctx2)
		cancel()
		a.mu.Unlock()
	}
}

// releaseAll gives up every lease of this process (at shutdown, after the agents'
// state was saved), so their browsers are taken over at once by the processes they
// reconnect to.
func (cl *cluster) releaseAll(ctx context.Context) {
	for _, a := range cl.h.agents.list() {
		a.mu.Lock()
		cl.save(ctx, a)
		a.mu.Unlock()
		_ = releaseScript.Run(ctx, cl.rdb, []string{cl.ownerKey(a.u.ID)}, cl.proc).Err()
	}
}

// watchOwner closes a connection served through another process when that process
// gives up or loses the agent's lease; the browser reconnects and the process it reaches
// takes the agent over.
func (cl *cluster) watchOwner(ctx context.Context, c *client, owner string) {
	t := time.NewTicker(cl.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		o, err := cl.owner(ctx, c.user.ID)
		if err == nil && o != owner {
			cl.h.log.Info("console cluster: the agent's owner is gone, closing for a reconnect", "user", c.user.Username, "owner", owner)
			_ = c.conn.Close()
			return
		}
	}
}

// agentSnap is an agent's state as saved in Redis.
type agentSnap struct {
	// User and TZ say whose state it is, for a process adopting an agent nobody owns.
	User         user      `json:"user"`
	TZ           string    `json:"tz"`
	Status       string    `json:"status"`
	PauseReason  string    `json:"pause_reason"`
	Mode         string    `json:"mode"`
	Phase        string    `json:"phase"`
	Since        time.Time `json:"since"`
	Notice       string    `json:"notice"`
	NoticeUntil  time.Time `json:"notice_until"`
	OfflineSince time.Time `json:"offline_since"`
	AwayStatus   string    `json:"away_status"`
	Task         *Task     `json:"task,omitempty"`
	TakenAt      time.Time `json:"taken_at"`
	Call         *callSnap `json:"call,omitempty"`
	Saved        []string  `json:"saved"`
	CallsDone    int       `json:"calls_done"`
}

type callSnap struct {
	ID        string    `json:"id"`
	AttemptID int64     `json:"attempt_id"`
	State     string    `json:"state"`
	Started   time.Time `json:"started"`
	Answered  time.Time `json:"answered"`
	Ended     time.Time `json:"ended"`
	Result    string    `json:"result"`
	HangupBy  string    `json:"hangup_by"`
}

func (a *agent) snapLocked() agentSnap {
	s := agentSnap{User: a.u, TZ: a.u.TimeZone, Status: a.status, PauseReason: a.pauseReason, Mode: a.mode, Phase: a.phase, Since: a.since,
		Notice: a.notice, NoticeUntil: a.noticeUntil, OfflineSince: a.offlineSince, AwayStatus: a.awayStatus,
		Saved: a.saved, CallsDone: a.callsDone}
	if a.conns == 0 && s.OfflineSince.IsZero() {
		// Saved at shutdown with the browser still connected: it counts as gone from now.
		s.OfflineSince, s.AwayStatus, s.Status = a.now(), a.status, statusOffline
	}
	if a.task != nil {
		t := a.task.Task
		s.Task, s.TakenAt = &t, a.task.takenAt
	}
	if c := a.call; c != nil {
		s.Call = &callSnap{ID: c.id, AttemptID: c.attemptID, State: c.state, Started: c.started, Answered: c.answered,
			Ended: c.ended, Result: c.result, HangupBy: c.hangupBy}
	}
	return s
}

// restoreLocked takes over an agent from its saved state. A countdown becomes the
// preview it started from; a call in progress ended with the process that placed it
// (its gateway hung it up before recording it), so the task is back in preview, not
// counted as an attempt; a wrap-up stays a wrap-up.
func (a *agent) restoreLocked(ctx context.Context, s agentSnap) {
	a.status, a.pauseReason, a.mode, a.phase, a.since = s.Status, s.PauseReason, s.Mode, s.Phase, s.Since
	a.notice, a.noticeUntil, a.offlineSince, a.awayStatus = s.Notice, s.NoticeUntil, s.OfflineSince, s.AwayStatus
	a.saved, a.callsDone = s.Saved, s.CallsDone
	if a.status != statusOffline {
		// Its connections were on the process that is gone.
		a.awayStatus, a.status, a.offlineSince = a.status, statusOffline, a.now()
	}
	if s.Task != nil {
		lt, err := a.h.prepareTask(ctx, &a.u, s.Task)
		if err != nil {
			a.h.log.Error("console cluster: restore the task on screen", "user", a.u.Username, "task", s.Task.ID, "err", err)
			a.phase = phaseIdle
			return
		}
		lt.takenAt = s.TakenAt
		a.task = lt
	}
	if c := s.Call; c != nil {
		a.call = &liveCall{id: c.ID, attemptID: c.AttemptID, state: c.State, started: c.Started, answered: c.Answered,
			ended: c.Ended, result: c.Result, hangupBy: c.HangupBy}
	}
	switch a.phase {
	case phaseCountdown, phasePreview:
		a.phase = phasePreview
		if a.task != nil {
			// The process may have died between placing the call and saving that the
			// agent was on it: such a call ended with it, as a trunk failure.
			now, taskID := a.now(), a.task.ID
			if _, err := store.New(a.h.deps.DB).CloseLostTaskCallAttempts(ctx, store.CloseLostTaskCallAttemptsParams{
				EndedAt: &now, DealerID: &a.u.DealerID, TaskID: &taskID, AgentUserID: &a.u.ID}); err != nil {
				a.h.log.Error("console cluster: close the lost call's record", "user", a.u.Username, "task", taskID, "err", err)
			}
		}
	case phaseCall:
		// The call ended with the process whose gateway placed it, before that gateway
		// finished its record: the record is closed as a trunk failure, not a customer
		// attempt. The task stays on the agent's screen, to call again or skip.
		if a.call != nil && a.call.id != "" {
			now := a.now()
			if _, err := store.New(a.h.deps.DB).CloseLostCallAttempt(ctx, store.CloseLostCallAttemptParams{
				EndedAt: &now, DealerID: &a.u.DealerID, CallID: a.call.id}); err != nil {
				a.h.log.Error("console cluster: close the lost call's record", "user", a.u.Username, "call", a.call.id, "err", err)
			}
		}
		a.call, a.phase, a.notice = nil, phasePreview, "call_lost"
	}
	if a.task == nil && a.phase != phaseIdle {
		a.phase = phaseIdle
	}
}
