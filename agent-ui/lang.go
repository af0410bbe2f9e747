package agentui

import "net/http"

// switchLang sets the language cookie (zh or en) and goes back to the page.
func (h *handler) switchLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBodyBytes)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, errStatus(http.StatusBadRequest, "bad form"))
		return
	}
	s, err := h.loadSession(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	want := ""
	if s != nil {
		want = s.CSRF
	} else if c, err := r.Cookie(loginCSRFCookie); err == nil {
		want = c.Value
	}
	if !sameToken(r.PostForm.Get(csrfField), want) {
		h.fail(w, r, errStatus(http.StatusForbidden, "invalid CSRF token"))
		return
	}
	lang := r.PostForm.Get("lang")
	if lang != langEN {
		lang = langZH
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}
