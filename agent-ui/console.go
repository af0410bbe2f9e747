package agentui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/huifang/huifang/scripts"
)

// Console is the agent console: its routes, its WebSocket hub and the agents' states.
// Its life cycle follows the project's habit: New, Register, Start, Shutdown.
type Console struct {
	h      *handler
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks the config and builds the console; it starts nothing.
func New(cfg Config, d Deps) (*Console, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("agentui: %w", err)
	}
	if d.DB == nil || d.Queue == nil || d.Dialer == nil {
		return nil, errors.New("agentui: Deps.DB, Deps.Queue and Deps.Dialer are required")
	}
	if d.Scripts == nil {
		d.Scripts = scripts.NewLibrary(d.DB)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, deps: d, log: d.Log.With("part", "console"), static: static}
	h.pages = map[string]*template.Template{}
	for _, lang := range []string{langZH, langEN} {
		t, err := parseTemplates(lang, static)
		if err != nil {
			return nil, err
		}
		h.pages[lang] = t
	}
	h.origins = allowedOrigins(cfg)
	h.login = newLoginGuard(cfg.LoginConcurrency)
	h.hub = newHub(h.log)
	h.complaintKick = make(chan struct{}, 1)
	h.builtinQuestions = builtinQuestions()
	h.agents = newAgents(h)
	if d.Cluster != nil {
		h.cluster = newCluster(h, d.Cluster, cfg.ClusterLease)
	}
	return &Console{h: h}, nil
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	c.h.register(mux)
}

// Handler returns the console's routes on a mux of their own (for tests).
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	c.Register(mux)
	return mux
}

// Start runs the hub, the wallboard refresher, housekeeping, the sweep of offline
// agents' tasks and the complaint notices until Shutdown.
func (c *Console) Start(ctx context.Context) {
	ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.wg.Add(5)
	go func() { defer c.wg.Done(); c.h.hub.run(ctx) }()
	go func() { defer c.wg.Done(); c.h.offlineLoop(ctx) }()
	go func() { defer c.wg.Done(); c.h.wallboardLoop(ctx) }()
	go func() { defer c.wg.Done(); c.h.housekeeping(ctx) }()
	go func() { defer c.wg.Done(); c.h.complaintLoop(ctx) }()
	if c.h.cluster != nil {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); c.h.cluster.run(ctx) }()
	}
}

// Shutdown drains, then stops the hub (closing every WebSocket) and the agents' timers,
// and waits for them at most until ctx ends. Draining: no agent of this process takes a
// task or places a call any more, and the calls in progress are waited for (until half
// of ctx's time is left), so that their gateway records them before the agents move to
// another process. Live calls are not hung up: the gateway owns them.
func (c *Console) Shutdown(ctx context.Context) error {
	if c.cancel == nil {
		return nil
	}
	c.h.draining.Store(true)
	c.h.agents.waitCalls(ctx)
	c.h.agents.stopAll()
	if c.h.cluster != nil {
		c.h.cluster.releaseAll(ctx)
	}
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("agentui: shutdown: %w", ctx.Err())
	}
}

// offlineLoop sweeps offline agents' tasks back to the queue every second until ctx ends.
func (h *handler) offlineLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.agents.sweepOffline(h.deps.Now())
		}
	}
}
