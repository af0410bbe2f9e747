package agentui

import "net/http"

// register adds every route of the console to mux: the one route table.
func (h *handler) register(mux *http.ServeMux) {
	anyRole := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn)) }
	directors := func(fn http.HandlerFunc) http.Handler {
		return h.secure(h.authed(fn, roleDirector, roleAdmin))
	}
	public := func(fn http.HandlerFunc) http.Handler { return h.secure(fn) }
	everyone := func(fn http.HandlerFunc) http.Handler {
		return h.secure(h.authed(fn, roleAgent, roleDirector, roleAdmin, roleServiceDesk))
	}

	mux.Handle("GET /login", public(h.loginPage))
	mux.Handle("POST /login", public(h.loginSubmit))
	mux.Handle("POST /logout", everyone(h.logout))
	mux.Handle("POST /lang", public(h.switchLang))
	mux.Handle("GET /static/{sum}/{file}", public(h.staticFile))

	mux.Handle("GET /{$}", everyone(h.home))
	mux.Handle("GET /console", anyRole(h.consolePage))
	mux.Handle("GET /customers/{id}", anyRole(h.customerCard))
	mux.Handle("GET /ws", anyRole(h.websocket))

	mux.Handle("GET /wallboard", directors(h.wallboardPage))
	// The old filterless record list: one records page now, with filters and export.
	mux.Handle("GET /calls", directors(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/director/calls", http.StatusMovedPermanently)
	}))
	mux.Handle("GET /scripts", directors(h.scriptsPage))
	mux.Handle("GET /scripts/{campaign}", directors(h.scriptEditPage))
	mux.Handle("POST /scripts/{campaign}", directors(h.scriptSave))
	mux.Handle("POST /scripts/{campaign}/preview", directors(h.scriptPreview))
	h.directorRoutes(mux)
	h.deskRoutes(mux)
	mux.Handle("GET /admin/users", directors(h.adminUsers))
	mux.Handle("POST /admin/users", h.secure(h.authed(h.adminUsersSave, roleAdmin)))
	mux.Handle("GET /admin/integration", directors(h.adminIntegration))
	mux.Handle("POST /admin/integration", h.secure(h.authed(h.adminIntegrationSave, roleAdmin)))
}
