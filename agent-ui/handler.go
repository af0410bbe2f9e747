package agentui

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

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
	// cluster is nil when the console runs in one process only.
	cluster *cluster
	// draining is set at shutdown: no task is taken and no call placed any more.
	draining atomic.Bool
	// login bounds the password checks of logins.
	login *loginGuard
	// complaintKick asks the complaint loop to sweep now (complaint_notices.go).
	complaintKick chan struct{}
	// builtinQuestions are the question texts of every built-in script by question id, for
	// answers whose script version does not name the question (questionTexts).
	builtinQuestions map[string]string

	// wbPending holds agent summaries changed since the last wallboard flush, by dealer
	// and user.
	wbMu      sync.Mutex
	wbPending map[int64]map[int64]map[string]any
	// wbLast holds every agent's latest summary, by dealer and user.
	wbLast map[int64]map[int64]map[string]any
}

func (h *handler) q() *store.Queries { return store.New(h.deps.DB) }

// httpError is an error with the status and the message a user may see: msg in
// English, zh in Chinese (empty: the status's general Chinese message).
type httpError struct {
	status int
	msg    string
	zh     string
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

// errUser is an error the user sees in their language: zh in Chinese, en in English.
// Name the field and say what it needs.
func errUser(status int, zh, en string) error { return &httpError{status: status, msg: en, zh: zh} }

var (
	errForbidden = errUser(http.StatusForbidden, "您没有权限打开这个页面", "forbidden")
	errNotFound  = errUser(http.StatusNotFound, "找不到这个页面或记录", "not found")
)

// statusWords are the general words for an error status, in Chinese and English.
var statusWords = map[int][2]string{
	http.StatusBadRequest:            {"提交的内容有误", "bad request"},
	http.StatusUnauthorized:          {"请先登录", "login required"},
	http.StatusForbidden:             {"您没有权限做这件事", "forbidden"},
	http.StatusNotFound:              {"找不到这个页面或记录", "not found"},
	http.StatusRequestEntityTooLarge: {"提交的内容太大", "too large"},
	http.StatusInternalServerError:   {"服务器出错了，请稍后再试；一直出错请联系管理员", "internal error"},
}

// userMessage is what a user is told about an error, in lang: the error's own words, or
// the status's general words (a server error never shows its details).
func userMessage(lang string, status int, he *httpError) string {
	if status >= 500 {
		he = nil
	}
	if he != nil && lang == langZH && he.zh != "" {
		return he.zh
	}
	if he != nil && lang != langZH && he.msg != "" {
		return he.msg
	}
	w, ok := statusWords[status]
	if !ok {
		w = statusWords[http.StatusBadRequest]
		if status >= 500 {
			w = statusWords[http.StatusInternalServerError]
		}
	}
	if lang == langZH {
		return w[0]
	}
	if he != nil && he.msg != "" {
		return he.msg
	}
	return w[1]
}

// wantsPage says whether an error should be answered as a page inside the layout: a
// browser's navigation (it accepts text/html), not a script's fetch or the API.
func wantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") && !strings.HasPrefix(r.URL.Path, "/api/") &&
		r.Header.Get("Upgrade") == ""
}

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
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if wantsPage(r) {
		text := userMessage(langFrom(r), status, he)
		back := r.URL.Path
		if r.Method == http.MethodGet && r.URL.RawQuery == "" || status == http.StatusForbidden || status == http.StatusNotFound {
			back = ""
		}
		home := "/console"
		if u := userFrom(r); u == nil {
			home = "/login"
		} else if u.Role == roleDirector || u.Role == roleAdmin {
			home = "/director"
		} else if u.Role == roleServiceDesk {
			home = "/desk"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		h.render(w, r, "error.html", map[string]any{"Page": "", "Status": status, "Message": text, "Back": back, "Home": home})
		return
	}
	// A script's request or the API: the error's words in the user's language when it
	// has them, else the English message.
	if he != nil && he.zh != "" && langFrom(r) == langZH {
		msg = he.zh
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
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
