package agentui

import (
	"net/http"
	"strings"
	"time"

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

// safeNext keeps only local paths as the page to go to after login.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// loginSubmit checks the user name and password, rate limiting failures per user name
// and per address, and starts a session.
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
	remote := remoteHost(r)
	now := h.deps.Now()
	q := h.q()
	counts, err := q.CountLoginFailures(ctx, store.CountLoginFailuresParams{Username: username, Remote: remote, Since: now.Add(-h.cfg.LoginWindow)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	again := func(status int, key string) {
		w.WriteHeader(status)
		h.render(w, r, "login.html", map[string]any{"LoginCSRF": c.Value, "Error": t(langFrom(r), key),
			"Username": username, "Next": safeNext(r.PostForm.Get("next"))})
	}
	if counts.ByUsername >= int64(h.cfg.LoginLimit) || counts.ByRemote >= int64(h.cfg.LoginLimit)*4 {
		h.log.WarnContext(r.Context(), "login rate limited", "username", username, "remote", remote)
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
		for i := range users {
			if store.CheckPassword(users[i].PasswordHash, password) {
				found = &users[i]
				break
			}
		}
	}
	if found == nil {
		if err := q.InsertLoginFailure(ctx, store.InsertLoginFailureParams{Username: username, Remote: remote, At: now}); err != nil {
			h.fail(w, r, err)
			return
		}
		h.log.InfoContext(r.Context(), "login failed", "username", username, "remote", remote)
		again(http.StatusUnauthorized, "login.failed")
		return
	}
	if err := q.ClearLoginFailures(ctx, store.ClearLoginFailuresParams{Username: username, Before: now.Add(-24 * time.Hour)}); err != nil {
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
