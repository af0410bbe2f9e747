package telephony

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// rateLog writes at most one line per message per interval and says in the next line how
// many it left out, so that a flood of junk (malformed packets, digest guesses) cannot
// fill the log: issue 18 found 1,000 junk packets making 746 KB of ERROR lines quoting
// each packet.
type rateLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	last    map[string]time.Time
	dropped map[string]int
}

func newRateLog(log *slog.Logger, every time.Duration, now func() time.Time) *rateLog {
	return &rateLog{log: log, every: every, now: now, last: map[string]time.Time{}, dropped: map[string]int{}}
}

// allow reports whether a line with msg may be written now, and how many were left out
// since the last one.
func (r *rateLog) allow(msg string) (bool, int) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.last[msg]; ok && now.Sub(last) < r.every {
		r.dropped[msg]++
		return false, 0
	}
	n := r.dropped[msg]
	r.last[msg], r.dropped[msg] = now, 0
	return true, n
}

// warn logs msg at WARN level, rate-limited.
func (r *rateLog) warn(msg string, args ...any) {
	if ok, n := r.allow(msg); ok {
		if n > 0 {
			args = append(args, "similar_lines_suppressed", n)
		}
		r.log.Warn(msg, args...)
	}
}

// junkHandler is the slog.Handler given to sipgo's transport and transaction layers. Its
// lines about malformed traffic ("failed to parse" and the like) are counted, cut to a
// summary without the packet's text, and rate-limited; every other line passes as is.
type junkHandler struct {
	next slog.Handler
	rl   *rateLog
	n    *atomic.Uint64
}

// junkMessages are sipgo's log messages about traffic it could not make sense of.
var junkMessages = map[string]bool{
	"failed to parse":                                    true,
	"Server tx failed to handle request":                 true,
	"Failed to send stateless 400 for malformed request": true,
	"Read filter error":                                  true,
}

func (h *junkHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *junkHandler) Handle(ctx context.Context, r slog.Record) error {
	if !junkMessages[r.Message] {
		return h.next.Handle(ctx, r)
	}
	h.n.Add(1)
	ok, dropped := h.rl.allow(r.Message)
	if !ok {
		return nil
	}
	out := slog.NewRecord(r.Time, slog.LevelWarn, "malformed sip traffic: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "data":
			out.AddAttrs(slog.Int("bytes", len(a.Value.String())))
		case "req":
			s := a.Value.String()
			if len(s) > 80 {
				s = s[:80]
			}
			out.AddAttrs(slog.String(a.Key, s))
		default:
			out.AddAttrs(a)
		}
		return true
	})
	if dropped > 0 {
		out.AddAttrs(slog.Int("similar_lines_suppressed", dropped))
	}
	return h.next.Handle(ctx, out)
}

func (h *junkHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &junkHandler{next: h.next.WithAttrs(as), rl: h.rl, n: h.n}
}

func (h *junkHandler) WithGroup(name string) slog.Handler {
	return &junkHandler{next: h.next.WithGroup(name), rl: h.rl, n: h.n}
}
