package main

import (
	"context"
	"crypto/tls"
	"errors"

	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	agentui "github.com/huifang/huifang/agent-ui"
)

// part is one long-running component of the product. serve starts the parts in table
// order and shuts them down in reverse order, so that what feeds work stops before what
// does it: the scheduler and relay stop making tasks, the console stops taking new calls,
// the gateway lets live calls end, the workers finish their tasks, and only then do the
// Postgres and Redis connections close.
type part interface {
	// name is the part's name, as given to --only.
	name() string
	// start launches the part and returns once it runs; it must not block.
	start(ctx context.Context) error
	// shutdown stops the part, waiting for its work at most until ctx ends.
	shutdown(ctx context.Context) error
}

// deps are the shared connections every part may use.
type deps struct {
	cfg *config
	log *slog.Logger
	db  *pgxpool.Pool
	rdb *redis.Client
	// metrics is the process's registry and the packages' typed metrics.
	metrics *metricsSet
	// mux is the HTTP route table; parts add their routes before the HTTP part starts.
	mux *http.ServeMux
	// now is the process's clock (config.clock: the real one unless a test moved it).
	now func() time.Time
}

// clock is d.now, or the real clock for deps made without one (tests that build deps by hand).
func (d *deps) clock() func() time.Time {
	if d.now == nil {
		return time.Now
	}
	return d.now
}

func cmdServe(ctx context.Context, env *cliEnv, args []string) error {
	return serveParts(ctx, env, "serve", args, nil)
}

// serveParts runs the named parts (all when only is empty) until ctx is cancelled.
func serveParts(ctx context.Context, env *cliEnv, name string, args []string, only []string) error {
	fs := newFlagSet(env, name)
	var onlyFlag string
	if only == nil {
		fs.StringVar(&onlyFlag, "only", "", "comma-separated parts to run (default all): "+strings.Join(partNames(), ","))
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if onlyFlag != "" {
		only = strings.Split(onlyFlag, ",")
	}
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return err
	}
	log := cfg.logger(env)
	d, closeDeps, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDeps()

	parts, err := selectParts(d, only)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if cfg.MetricsAddr != "off" {
		// Metrics listen first and stop last, whichever parts run.
		parts = append([]part{newMetricsPart(d)}, parts...)
	}
	var started []part
	stopAll := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		var errs []error
		for i := len(started) - 1; i >= 0; i-- {
			p := started[i]
			log.Info("stopping", "part", p.name())
			if err := p.shutdown(sctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.name(), err))
			}
		}
		return errors.Join(errs...)
	}
	for _, p := range parts {
		if err := p.start(ctx); err != nil {
			return errors.Join(fmt.Errorf("start %s: %w", p.name(), err), stopAll())
		}
		log.Info("started", "part", p.name())
		started = append(started, p)
	}
	<-ctx.Done()
	log.Info("shutting down")
	return stopAll()
}

// openDeps opens Postgres (refusing an outdated schema) and Redis and sets up metrics.
func openDeps(ctx context.Context, cfg *config, log *slog.Logger) (*deps, func(), error) {
	db, err := openDB(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	rdb, err := openRedis(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	d := &deps{cfg: cfg, log: log, db: db, rdb: rdb, mux: http.NewServeMux(), now: cfg.clock()}
	if !cfg.TestNow.IsZero() {
		log.Warn("test clock: HUIFANG_TEST_NOW moved this process's clock", "now", d.now())
	}
	d.metrics = newMetricsSet(d)
	return d, func() { _ = rdb.Close(); db.Close() }, nil
}

// allParts lists every part in start order. Each constructor may add routes to d.mux.
func allParts(d *deps) []part {
	ps := extraParts(d)
	// The HTTP server starts last, once every part has registered its routes, and so
	// stops first.
	return append(ps, newHTTPPart(d))
}

func partNames() []string {
	return []string{"worker", "scheduler", "relay", "gateway", "sms", "sms-callbacks", "console", "http"}
}

func selectParts(d *deps, only []string) ([]part, error) {
	all := allParts(d)
	if len(only) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range only {
		want[strings.TrimSpace(n)] = true
	}
	var out []part
	for _, p := range all {
		if want[p.name()] {
			out = append(out, p)
			delete(want, p.name())
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown part %q (have %s)", n, strings.Join(partNames(), ", "))
	}
	return out, nil
}

// The HTTP server's limits on reading a request and writing a response.
const (
	httpReadTimeout  = time.Minute
	httpWriteTimeout = 2 * time.Minute
)

// httpPart serves the console and /healthz (metrics have their own listener: metricsPart).
type httpPart struct {
	d   *deps
	srv *http.Server
}

func newHTTPPart(d *deps) *httpPart {
	d.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		// The answer names what is down, never the error's text (host names, addresses,
		// user names): that goes to the log.
		var problems []string
		if err := d.db.Ping(ctx); err != nil {
			problems = append(problems, "postgres: unavailable")
			d.log.WarnContext(ctx, "healthz", "postgres", err)
		}
		if err := d.rdb.Ping(ctx).Err(); err != nil {
			problems = append(problems, "redis: unavailable")
			d.log.WarnContext(ctx, "healthz", "redis", err)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(problems, "\n"))
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return &httpPart{d: d}
}

func (p *httpPart) name() string { return "http" }

func (p *httpPart) start(ctx context.Context) error {
	ln, err := net.Listen("tcp", p.d.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", p.d.cfg.HTTPAddr, err)
	}
	p.srv = &http.Server{
		// Every request gets an id (X-Request-Id) and one log line.
		Handler:  agentui.RequestLog(p.d.log.With("part", "http"), p.d.mux),
		ErrorLog: slog.NewLogLogger(p.d.log.Handler(), slog.LevelWarn),
		// A slow or idle client cannot hold a connection for ever. The WebSocket clears
		// these deadlines when it upgrades (its pings watch the peer); a recording's
		// download extends its own write deadline.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if p.d.cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(p.d.cfg.TLSCertFile, p.d.cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("HUIFANG_TLS_CERT_FILE/HUIFANG_TLS_KEY_FILE: %w", err)
		}
		p.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, p.srv.TLSConfig)
	}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.d.log.Error("http server", "err", err)
		}
	}()
	p.d.log.Info("listening", "url", p.d.cfg.PublicURL, "addr", ln.Addr().String())
	return nil
}

func (p *httpPart) shutdown(ctx context.Context) error {
	if p.srv == nil {
		return nil
	}
	return p.srv.Shutdown(ctx)
}
