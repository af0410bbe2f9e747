package agentui

import "net/http"

// register adds every route of the console to mux: the one route table. Every page
// under /director is for directors and admins, scoped to their own dealer; the service
// desk (服务前台) sees /desk and nothing else.
func (h *handler) register(mux *http.ServeMux) {
	anyRole := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn)) }
	directors := func(fn http.HandlerFunc) http.Handler {
		return h.secure(h.authed(fn, roleDirector, roleAdmin))
	}
	public := func(fn http.HandlerFunc) http.Handler { return h.secure(fn) }
	everyone := func(fn http.HandlerFunc) http.Handler {
		return h.secure(h.authed(fn, roleAgent, roleDirector, roleAdmin, roleServiceDesk))
	}
	desk := func(fn http.HandlerFunc) http.Handler {
		return h.secure(h.authed(fn, roleServiceDesk, roleDirector, roleAdmin))
	}
	agents := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn, roleAgent)) }
	admins := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn, roleAdmin)) }

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

	// The director console: call records, recordings, spot-checks, the daily check, KPIs,
	// complaints and their exports.
	mux.Handle("GET /director", directors(h.directorHome))
	mux.Handle("GET /director/calls", directors(h.directorCalls))
	mux.Handle("GET /director/calls/{id}", directors(h.directorCall))
	mux.Handle("GET /director/recordings/{id}", directors(h.directorRecording))
	mux.Handle("POST /director/calls/{id}/score", directors(h.directorScore))
	mux.Handle("GET /director/checks", directors(h.directorChecks))
	mux.Handle("POST /director/checks/draw", directors(h.directorDraw))
	mux.Handle("POST /director/checks/draw-filtered", directors(h.directorDrawFiltered))
	mux.Handle("GET /director/settings", directors(h.directorSettings))
	mux.Handle("POST /director/settings", directors(h.directorSettingsSave))
	mux.Handle("GET /director/rules", directors(h.directorRules))
	mux.Handle("POST /director/rules", directors(h.directorRulesSave))
	mux.Handle("GET /director/daily", directors(h.directorDaily))
	mux.Handle("GET /director/daily/list", directors(h.directorDailyList))
	mux.Handle("GET /director/daily/sms", directors(h.directorDailySMS))
	mux.Handle("GET /director/daily/thanks", directors(h.directorDailyThanks))
	mux.Handle("GET /director/kpi", directors(h.directorKPI))
	mux.Handle("GET /director/kpi/list", directors(h.directorKPIList))
	mux.Handle("GET /director/customer-changes", directors(h.directorCustomerChanges))
	mux.Handle("GET /director/customers/{id}/appointment", directors(h.directorAppointment))
	mux.Handle("POST /director/customers/{id}/appointment", directors(h.directorAppointmentBook))
	mux.Handle("GET /director/due-not-come", directors(h.directorDueNotCome))
	mux.Handle("GET /director/complaints", directors(h.directorComplaints))
	mux.Handle("POST /director/complaints", directors(h.directorComplaintOpen))
	mux.Handle("GET /director/complaints/{id}", directors(h.directorComplaint))
	mux.Handle("POST /director/complaints/{id}", directors(h.directorComplaintAction))
	mux.Handle("GET /director/low-scores", directors(h.directorLowScores))
	mux.Handle("POST /director/low-scores/{id}", directors(h.directorLowScoreAck))
	mux.Handle("GET /director/satisfaction", directors(h.directorSatisfaction))
	mux.Handle("GET /director/satisfaction/calls", directors(h.directorSatisfactionCalls))
	mux.Handle("GET /director/checks/weekly", directors(h.directorChecksWeekly))
	mux.Handle("GET /my/checks", anyRole(h.myChecks))
	mux.Handle("GET /my/sip", agents(h.mySIP))
	mux.Handle("POST /my/sip", agents(h.mySIPIssue))

	// SMS and recorded-message broadcasts (queue/notify).
	mux.Handle("GET /director/sms", directors(h.directorSMS))
	mux.Handle("GET /director/sms/templates", directors(h.directorSMSTemplates))
	mux.Handle("POST /director/sms/templates", directors(h.directorSMSTemplatesSave))
	mux.Handle("GET /director/sms/consent", directors(h.directorSMSConsent))
	mux.Handle("POST /director/sms/consent", directors(h.directorSMSConsentSave))
	mux.Handle("GET /director/sms/new", directors(h.directorSMSNew))
	mux.Handle("POST /director/sms/new", directors(h.directorSMSNewStart))
	mux.Handle("POST /director/sms/uncertain", directors(h.directorSMSUncertainDecide))

	// The service desk: today's and tomorrow's appointments, arrivals, cancellations.
	mux.Handle("GET /desk", desk(h.deskPage))
	mux.Handle("POST /desk/appointments/{id}/arrive", desk(h.deskArrive))
	mux.Handle("POST /desk/appointments/{id}/cancel", desk(h.deskCancel))
	mux.Handle("POST /desk/visits", desk(h.deskVisit))

	mux.Handle("GET /admin/users", directors(h.adminUsers))
	mux.Handle("POST /admin/users", admins(h.adminUsersSave))
	mux.Handle("GET /admin/integration", directors(h.adminIntegration))
	mux.Handle("POST /admin/integration", admins(h.adminIntegrationSave))
}
