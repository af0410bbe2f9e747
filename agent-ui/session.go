package agentui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

const (
	sessionCookie   = "huifang_session"
	loginCSRFCookie = "huifang_login_csrf"
	langCookie      = "huifang_lang"
	roleAgent       = "agent"
	roleDirector    = "director"
	roleAdmin       = "admin"
	// roleServiceDesk (服务前台) sees the service desk only: today's and tomorrow's
	// appointments and the showroom registration; routes must name it to let it in.
	roleServiceDesk  = "service_desk"
	csrfField        = "csrf"
	maxFormBodyBytes = 1 << 20
)

// user is the logged-in user, as every query scopes by DealerID.
type user struct {
	ID          int64  `json:"id"`
	DealerID    int64  `json:"dealer_id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	DealerName  string `json:"dealer_name"`
	TimeZone    string `json:"-"`
}

// Name returns the display name, or the user name when there is none.
func (u *user) Name() string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Username
}

// IsServiceDesk reports whether the user is the service desk (服务前台), who sees the desk only.
func (u *user) IsServiceDesk() bool { return u.Role == roleServiceDesk }

// staffRoles are the roles a route without a role list lets in: every role but the
// service desk, which sees only the routes that name it.
var staffRoles = []string{roleAgent, roleDirector, roleAdmin}

// IsDirector reports whether the user may see the directors' pages.
func (u *user) IsDirector() bool { return u.Role == roleDirector || u.Role == roleAdmin }

// location returns the dealer's time zone (Asia/Shanghai when unknown).
func (u *user) location() *time.Location {
	if loc, err := time.LoadLocation(u.TimeZone); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

type session struct {
	tokenHash string
	CSRF      string
	user      user
}

type ctxKey int

const sessionKey ctxKey = 1

func sessionFrom(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey).(*session)
	return s
}

func userFrom(r *http.Request) *user {
	if s := sessionFrom(r); s != nil {
		return &s.user
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// loadSession returns the request's live session, or nil.
func (h *handler) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	row, err := h.q().GetConsoleSession(r.Context(), store.GetConsoleSessionParams{TokenHash: hashToken(c.Value), Now: h.deps.Now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{tokenHash: row.TokenHash, CSRF: row.CsrfToken, user: user{
		ID: row.UserID, DealerID: row.DealerID, Username: row.Username, DisplayName: row.DisplayName,
		Role: row.Role, DealerName: row.DealerName, TimeZone: row.TimeZone,
	}}, nil
}

// startSession stores a new session for u and sets its cookie.
func (h *handler) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u store.User) error {
	tok := randomToken()
	err := h.q().CreateConsoleSession(ctx, store.CreateConsoleSessionParams{
		TokenHash: hashToken(tok), UserID: u.ID, DealerID: u.DealerID, CsrfToken: randomToken(),
		RemoteAddr: h.clientAddr(r), ExpiresAt: h.deps.Now().Add(h.cfg.SessionTTL),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: h.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.cfg.SessionTTL.Seconds()),
	})
	return nil
}

// authed wraps a handler that needs a logged-in user with one of roles (any role when
// none is given). Pages redirect to /login; other requests get 401. Every POST must carry
// the session's CSRF token.
func (h *handler) authed(fn http.HandlerFunc, roles ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.loadSession(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet && r.Header.Get("Upgrade") == "" && r.Header.Get("Accept") != "application/json" {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			h.fail(w, r, errUser(http.StatusUnauthorized, "请先登录", "login required"))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey, s))
		if len(roles) == 0 {
			roles = staffRoles
		}
		if !slices.Contains(roles, s.user.Role) {
			h.fail(w, r, errForbidden)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBodyBytes)
			if err := r.ParseForm(); err != nil {
				h.fail(w, r, errUser(http.StatusBadRequest, "提交的表单无法读取（可能太大），请检查后再提交", "bad form"))
				return
			}
			if !sameToken(r.PostForm.Get(csrfField), s.CSRF) {
				h.fail(w, r, errUser(http.StatusForbidden, "页面已过期或来自别的网站，请刷新页面后再提交", "invalid CSRF token"))
				return
			}
		}
		fn(w, r)
	}
}

func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// secure adds the security headers every response gets.
func (h *handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if h.cfg.SecureCookies && strings.HasPrefix(strings.ToLower(h.cfg.PublicURL), "https://") {
			// Browsers that reached the console over HTTPS never try it in clear again.
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		hd.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// allowedOrigins returns the origins (scheme://host[:port]) that may open the WebSocket.
func allowedOrigins(cfg Config) map[string]bool {
	out := map[string]bool{}
	for _, s := range append([]string{cfg.PublicURL}, cfg.ExtraOrigins...) {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			out[u.Scheme+"://"+u.Host] = true
		}
	}
	return out
}
