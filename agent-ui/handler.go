package agentui

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sync"

	"github.com/huifang/huifang/store"
)

// handler holds everything the HTTP handlers need; each route is one of its methods.
type handler struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	pages   map[string]*template.Template
	static  *staticFiles
	origins map[string]bool
	hub     *hub
	agents  *agents
	// login bounds the password checks of logins.
	login *loginGuard

	// wbPending holds agent summaries changed since the last wallboard flush, by dealer
	// and user.
	wbMu      sync.Mutex
	wbPending map[int64]map[int64]map[string]any
	// wbLast holds every agent's latest summary, by dealer and user.
	wbLast map[int64]map[int64]map[string]any
}

func (h *handler) q() *store.Queries { return store.New(h.deps.DB) }

// httpError is an error with the status and the message a user may see.
type httpError struct {
	status int
	msg    string
	err    error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

func errStatus(status int, msg string) error { return &httpError{status: status, msg: msg} }

var (
	errForbidden = errStatus(http.StatusForbidden, "forbidden")
	errNotFound  = errStatus(http.StatusNotFound, "not found")
)

// fail is the one place error responses are written; it logs every one.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	var he *httpError
	if errors.As(err, &he) {
		status, msg = he.status, he.msg
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "err", err}
	if u := userFrom(r); u != nil {
		attrs = append(attrs, "user", u.Username, "dealer", u.DealerID)
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "request failed", attrs...)
	} else {
		h.log.InfoContext(r.Context(), "request refused", attrs...)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// render writes a page template with the common page data.
func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	lang := langFrom(r)
	if data == nil {
		data = map[string]any{}
	}
	data["Lang"] = lang
	data["User"] = userFrom(r)
	if s := sessionFrom(r); s != nil {
		data["CSRF"] = s.CSRF
	}
	data["Static"] = h.static.urls
	data["Messages"] = messagesJSON(lang)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.pages[lang].ExecuteTemplate(w, name, data); err != nil {
		h.log.ErrorContext(r.Context(), "render", "template", name, "err", err)
	}
}
