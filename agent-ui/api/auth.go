package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/huifang/huifang/store"
)

// caller is the key a request was made with and its dealer.
type caller struct {
	KeyID      int64
	DealerID   int64
	DealerCode string
	Loc        *time.Location
}

type callerKey struct{}

func callerFrom(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	return c
}

// keyPrefix starts every key, so a leaked key is easy to recognise.
const keyPrefix = "hf_"

// HashKey returns the stored form of a key: the hex SHA-256 of the whole key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateKey makes a new API key for the dealer, stores its hash and returns its id and
// the key, which is never shown again.
func CreateKey(ctx context.Context, db store.DBTX, dealerID int64, name string) (int64, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, "", errors.New("api key: a name is required")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, "", fmt.Errorf("api key: %w", err)
	}
	key := keyPrefix + hex.EncodeToString(b[:])
	id, err := store.New(db).CreateAPIKey(ctx, store.CreateAPIKeyParams{
		DealerID: dealerID, Name: name, KeyHash: HashKey(key), Prefix: key[:len(keyPrefix)+6],
	})
	if err != nil {
		return 0, "", fmt.Errorf("api key: %w", err)
	}
	return id, key, nil
}

// ErrNoKey is returned by RevokeKey for a key that is not the dealer's or is revoked.
var ErrNoKey = errors.New("no such active API key for this dealer")

// RevokeKey revokes the dealer's key id; requests with it get 401 from then on.
func RevokeKey(ctx context.Context, db store.DBTX, dealerID, id int64, now time.Time) error {
	n, err := store.New(db).RevokeAPIKey(ctx, store.RevokeAPIKeyParams{Now: &now, ID: id, DealerID: dealerID})
	if err != nil {
		return fmt.Errorf("revoke api key %d: %w", id, err)
	}
	if n == 0 {
		return ErrNoKey
	}
	return nil
}

// authed finds the request's key (401 when missing, unknown or revoked), applies the key's
// rate limit (429 with Retry-After) and caps the body.
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		key, ok := strings.CutPrefix(auth, "Bearer ")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			s.fail(w, r, errUnauthorized)
			return
		}
		k, err := store.New(s.db).GetAPIKeyByHash(r.Context(), HashKey(key))
		if errors.Is(err, pgx.ErrNoRows) || err == nil && k.RevokedAt != nil {
			s.fail(w, r, errUnauthorized)
			return
		}
		if err != nil {
			s.fail(w, r, fmt.Errorf("api key: %w", err))
			return
		}
		if wait, ok := s.allow(k.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.fail(w, r, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
				Message: fmt.Sprintf("over this key's rate limit of %g requests a second; retry after %s", s.cfg.Rate, wait.Round(time.Millisecond))})
			return
		}
		loc, err := time.LoadLocation(k.TimeZone)
		if err != nil {
			s.fail(w, r, fmt.Errorf("dealer %s time zone %q: %w", k.DealerCode, k.TimeZone, err))
			return
		}
		c := &caller{KeyID: k.ID, DealerID: k.DealerID, DealerCode: k.DealerCode, Loc: loc}
		next(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	}
}

// allow takes one request from the key's token bucket, or says how long to wait.
func (s *Server) allow(keyID int64) (time.Duration, bool) {
	s.mu.Lock()
	l, ok := s.limiters[keyID]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
		s.limiters[keyID] = l
	}
	s.mu.Unlock()
	now := s.cfg.Now()
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return max(d, time.Second), false
	}
	return 0, true
}

// readBody reads the request body up to limit bytes; more is 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, invalid("", "reading the body: %v", err)
	}
	return b, nil
}
