package agentui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/huifang/huifang/scripts"
)

// Config holds the console's settings.
type Config struct {
	// PublicURL is the address users type (https://console.example.com); WebSocket
	// upgrades from any other Origin are refused.
	PublicURL string
	// ExtraOrigins are further origins allowed to open the WebSocket.
	ExtraOrigins []string
	// SecureCookies sets the Secure flag on cookies; always on when PublicURL is https.
	SecureCookies bool
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// LoginLimit failed logins of a user name from one address within LoginWindow back
	// that user name off from that address; 4×LoginLimit back a user name off from every
	// address, 20×LoginLimit back an address off for the user names that have not logged
	// in from it lately (login_limit.go).
	LoginLimit  int
	LoginWindow time.Duration
	// LoginBackoff is the first wait once a limit is reached; it doubles with each
	// further failure, up to LoginWindow.
	LoginBackoff time.Duration
	// LoginConcurrency bounds the password checks (bcrypt) running at once.
	LoginConcurrency int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client's
	// address; the header of any other peer is ignored.
	TrustedProxies []netip.Prefix
	// ProgressiveDelay is how long progressive mode shows a task before it dials.
	ProgressiveDelay time.Duration
	// TakeRetry is how often a ready agent with no task asks the queue again.
	TakeRetry time.Duration
	// WallboardInterval is how often the whole wallboard (with the queue depth) is sent.
	WallboardInterval time.Duration
	// WallboardFlush is how often agents' changes are sent to the wallboards, batched.
	WallboardFlush time.Duration
	// PingInterval is how often the server pings each WebSocket; a peer silent for twice
	// as long is dropped (an agent whose network is gone shows offline then).
	PingInterval time.Duration
	// ClusterLease is how long an agent stays with a console process that stopped
	// answering before another process may take the agent over (with Deps.Cluster);
	// zero means 5s.
	ClusterLease time.Duration
	// OfflineGrace is how long the task on screen of an agent whose last connection
	// closed stays theirs: back within it, they find it (and their status) again; after
	// it, a task not yet called goes back to the queue.
	OfflineGrace time.Duration
	// Housekeeping is how often expired sessions, old failed logins and recordings past
	// their dealer's retention are removed (at start, then at this interval); zero means
	// an hour, negative turns it off.
	Housekeeping time.Duration
	// ComplaintSweep is how often complaints are checked for directors to be told about
	// (opened through the API or an import, overdue); zero means 5 s, negative turns the
	// notices off. A complaint opened in the console is told at once.
	ComplaintSweep time.Duration
	// RecordingsDir is the recordings directory: a call's recording is served only from
	// inside it (a recording path elsewhere, or a link leading out, is 404).
	RecordingsDir string
	// PromptsDir is where the prompts of message-call campaigns started from the
	// director's page are written (<recordings>/prompts); empty refuses such campaigns.
	PromptsDir string
}

// WithDefaults returns the config with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if strings.HasPrefix(strings.ToLower(c.PublicURL), "https://") {
		// Behind HTTPS a cookie never travels in clear.
		c.SecureCookies = true
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.LoginLimit <= 0 {
		c.LoginLimit = 5
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.LoginBackoff <= 0 {
		c.LoginBackoff = 30 * time.Second
	}
	if c.LoginConcurrency <= 0 {
		c.LoginConcurrency = max(2, runtime.GOMAXPROCS(0))
	}
	if c.ProgressiveDelay <= 0 {
		c.ProgressiveDelay = 5 * time.Second
	}
	if c.TakeRetry <= 0 {
		c.TakeRetry = 5 * time.Second
	}
	if c.WallboardInterval <= 0 {
		c.WallboardInterval = 3 * time.Second
	}
	if c.WallboardFlush <= 0 {
		c.WallboardFlush = 50 * time.Millisecond
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 5 * time.Second
	}
	if c.ClusterLease <= 0 {
		c.ClusterLease = 5 * time.Second
	}
	if c.OfflineGrace <= 0 {
		c.OfflineGrace = time.Minute
	}
	if c.ComplaintSweep == 0 {
		c.ComplaintSweep = 5 * time.Second
	}
	if c.Housekeeping == 0 {
		c.Housekeeping = time.Hour
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PublicURL %q must be an http(s) URL", c.PublicURL))
	}
	for _, o := range c.ExtraOrigins {
		if u, err := url.Parse(o); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("origin %q must be an http(s) URL", o))
		}
	}
	return errors.Join(errs...)
}

// Deps are the console's collaborators.
type Deps struct {
	// DB is the Postgres pool.
	DB *pgxpool.Pool
	// Queue hands out tasks and records outcomes.
	Queue Queue
	// Dialer places calls.
	Dialer Dialer
	// WebPhone connects agents' browsers as their phones (WebRTC); nil turns the
	// browser phone off.
	WebPhone WebPhone
	// Figures computes the figures that follow the queue's rules (the maintenance
	// schedule); required for the KPI and due-not-come pages.
	Figures Figures
	// Scripts gives the dealers' scripts; nil means scripts.NewLibrary(DB).
	Scripts *scripts.Library
	// Log receives the console's logs; nil means slog.Default().
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RenderPrompt writes text spoken in Mandarin as an 8000 Hz WAV at path, for the
	// message-call campaigns directors start (telephony/media.RenderPrompt, wired by cmd);
	// nil refuses such campaigns.
	RenderPrompt func(ctx context.Context, text, path string) error
	// Cluster, when set, shares agents, their messages and the wallboards with every
	// console process on the same Redis (cluster.go); nil keeps them in this process.
	Cluster redis.UniversalClient
}
