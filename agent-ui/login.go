package agentui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/huifang/huifang/store"
)

// loginPage shows the login form, with a CSRF token bound to a cookie.
func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "login.html", map[string]any{"LoginCSRF": h.loginCSRF(w, r), "Next": safeNext(r.URL.Query().Get("next"))})
}

// loginCSRF returns the login form's token, setting its cookie when missing.
func (h *handler) loginCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCSRFCookie); err == nil && len(c.Value) == 64 {
		return c.Value
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return tok
}

// safeNext keeps only local paths as the page to go to after login. Browsers drop tabs
// and line breaks from a URL and read a backslash as a slash, so "/\t/evil.com" and
// "/\\evil.com" are "//evil.com", another site: a path with any of them, or that parses
// with a scheme or a host, is refused.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || unicode.IsSpace(r) {
			return "/"
		}
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return next
}

// loginSubmit checks the user name and password, backing failures off per user name and
// address (login_limit.go), and starts a session.
func (h *handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBodyBytes)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errStatus(http.StatusBadRequest, "bad form"))
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(r.PostForm.Get(csrfField), c.Value) {
		h.fail(w, r, errStatus(http.StatusForbidden, "invalid CSRF token"))
		return
	}
	ctx := r.Context()
	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	remote := h.clientAddr(r)
	now := h.deps.Now()
	q := h.q()
	again := func(status int, key string) {
		w.WriteHeader(status)
		h.render(w, r, "login.html", map[string]any{"LoginCSRF": c.Value, "Error": t(langFrom(r), key),
			"Username": username, "Next": safeNext(r.PostForm.Get("next"))})
	}
	reservation, until, err := h.reserveLogin(ctx, username, remote, now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if reservation == 0 {
		h.log.WarnContext(ctx, "login backed off", "username", username, "remote", remote, "until", until)
		w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(now).Seconds())+1))
		again(http.StatusTooManyRequests, "login.limited")
		return
	}
	var found *store.User
	if username != "" && password != "" {
		users, err := q.FindUsersByUsername(ctx, username)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		hashes := make([]string, len(users))
		for i := range users {
			hashes[i] = users[i].PasswordHash
		}
		i, err := h.login.check(ctx, hashes, password)
		if errors.Is(err, errLoginBusy) {
			// Not a failure: the attempt is given back.
			_ = q.DeleteLoginAttempt(context.WithoutCancel(ctx), reservation)
			w.Header().Set("Retry-After", "5")
			again(http.StatusServiceUnavailable, "login.busy")
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if i >= 0 {
			found = &users[i]
		}
	}
	if found == nil {
		// The reservation stays: it is the failure.
		h.log.InfoContext(ctx, "login failed", "username", username, "remote", remote)
		again(http.StatusUnauthorized, "login.failed")
		return
	}
	if err := q.ClearLoginPairFailures(ctx, store.ClearLoginPairFailuresParams{Username: username, Remote: remote}); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := q.RememberLoginPair(ctx, store.RememberLoginPairParams{Username: username, Remote: remote, At: now}); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.startSession(ctx, w, r, *found); err != nil {
		h.fail(w, r, err)
		return
	}
	_ = q.InsertAudit(ctx, store.InsertAuditParams{DealerID: &found.DealerID, UserID: &found.ID, Action: "console.login",
		SubjectType: "user", SubjectID: &found.ID, Detail: []byte(`{}`)})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}
