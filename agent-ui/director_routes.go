package agentui

import "net/http"

// directorRoutes adds the director console's routes (call records, recordings,
// spot-checks, the daily check, KPIs and their exports) to mux; register calls it.
// Every director route is for directors and admins, scoped to their own dealer; the
// agent's own spot-check page is for every role.
func (h *handler) directorRoutes(mux *http.ServeMux) {
	dir := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn, roleDirector, roleAdmin)) }
	anyRole := func(fn http.HandlerFunc) http.Handler { return h.secure(h.authed(fn)) }

	mux.Handle("GET /director", dir(h.directorHome))
	mux.Handle("GET /director/calls", dir(h.directorCalls))
	mux.Handle("GET /director/calls/{id}", dir(h.directorCall))
	mux.Handle("GET /director/recordings/{id}", dir(h.directorRecording))
	mux.Handle("POST /director/calls/{id}/score", dir(h.directorScore))
	mux.Handle("GET /director/checks", dir(h.directorChecks))
	mux.Handle("POST /director/checks/draw", dir(h.directorDraw))
	mux.Handle("POST /director/checks/draw-filtered", dir(h.directorDrawFiltered))
	mux.Handle("GET /director/settings", dir(h.directorSettings))
	mux.Handle("POST /director/settings", dir(h.directorSettingsSave))
	mux.Handle("GET /director/rules", dir(h.directorRules))
	mux.Handle("POST /director/rules", dir(h.directorRulesSave))
	mux.Handle("GET /director/daily", dir(h.directorDaily))
	mux.Handle("GET /director/daily/list", dir(h.directorDailyList))
	mux.Handle("GET /director/daily/sms", dir(h.directorDailySMS))
	mux.Handle("GET /director/daily/thanks", dir(h.directorDailyThanks))
	mux.Handle("GET /director/kpi", dir(h.directorKPI))
	mux.Handle("GET /director/kpi/list", dir(h.directorKPIList))
	mux.Handle("GET /director/customer-changes", dir(h.directorCustomerChanges))
	mux.Handle("GET /director/due-not-come", dir(h.directorDueNotCome))
	mux.Handle("GET /director/complaints", dir(h.directorComplaints))
	mux.Handle("POST /director/complaints", dir(h.directorComplaintOpen))
	mux.Handle("GET /director/complaints/{id}", dir(h.directorComplaint))
	mux.Handle("POST /director/complaints/{id}", dir(h.directorComplaintAction))
	mux.Handle("GET /director/low-scores", dir(h.directorLowScores))
	mux.Handle("POST /director/low-scores/{id}", dir(h.directorLowScoreAck))
	mux.Handle("GET /director/satisfaction", dir(h.directorSatisfaction))
	mux.Handle("GET /director/satisfaction/calls", dir(h.directorSatisfactionCalls))
	mux.Handle("GET /director/checks/weekly", dir(h.directorChecksWeekly))
	mux.Handle("GET /my/checks", anyRole(h.myChecks))
	mux.Handle("GET /my/sip", h.secure(h.authed(h.mySIP, roleAgent)))
	mux.Handle("POST /my/sip", h.secure(h.authed(h.mySIPIssue, roleAgent)))
	h.directorSMSRoutes(mux, dir)
}
