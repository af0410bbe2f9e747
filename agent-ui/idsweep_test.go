package agentui

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// idRoutes is every console route that takes an id, with how to fill it in. The sweep
// below requests each with the other dealer's ids; TestIDSweepCoversEveryRoute fails when
// a route with a path parameter is added without an entry here.
var idRoutes = []struct {
	pattern string
	// id picks the id to use from a dealer's fixtures.
	id func(f idFixtures) int64
	// roles that may use the route.
	users []string
}{
	{"GET /customers/{id}", func(f idFixtures) int64 { return f.customer }, []string{"agent1", "director1"}},
	{"GET /director/calls/{id}", func(f idFixtures) int64 { return f.call }, []string{"director1"}},
	{"GET /director/recordings/{id}", func(f idFixtures) int64 { return f.call }, []string{"director1"}},
	{"POST /director/calls/{id}/score", func(f idFixtures) int64 { return f.call }, []string{"director1"}},
	{"GET /director/complaints/{id}", func(f idFixtures) int64 { return f.complaint }, []string{"director1"}},
	{"POST /director/complaints/{id}", func(f idFixtures) int64 { return f.complaint }, []string{"director1"}},
	{"POST /director/low-scores/{id}", func(f idFixtures) int64 { return f.lowScore }, []string{"director1"}},
	{"POST /desk/appointments/{id}/arrive", func(f idFixtures) int64 { return f.appointments[0] }, []string{"desk1", "director1"}},
	{"POST /desk/appointments/{id}/cancel", func(f idFixtures) int64 { return f.appointments[1] }, []string{"desk1", "director1"}},
	// After the desk's: a booking reschedules the customer's open ones.
	{"GET /director/customers/{id}/appointment", func(f idFixtures) int64 { return f.customer }, []string{"director1"}},
	{"POST /director/customers/{id}/appointment", func(f idFixtures) int64 { return f.customer }, []string{"director1"}},
}

// idFixtures are one dealer's ids.
type idFixtures struct {
	customer, call, complaint, lowScore int64
	// appointments are today's, one per desk route (an arrival cannot be cancelled).
	appointments []int64
}

// TestIDSweepCrossDealer requests every id route with another dealer's ids, as each role
// that may use it: 404 everywhere, nothing of the other dealer in the answer. The same
// routes with the user's own dealer's ids answer, so the sweep cannot pass by refusing
// everything.
func TestIDSweepCrossDealer(t *testing.T) {
	b := setup(t, nil)
	at := time.Now().Add(-time.Hour)
	own := idFixtures{customer: b.customers["王建国"], call: b.addCall(t, b.dealer.ID, "agent1", "王建国", at, time.Minute, b.recDir)}
	other := idFixtures{customer: b.customers["外店客户"], call: b.addCall(t, b.other.ID, "agentx", "外店客户", at, time.Minute, b.recDir)}
	own.complaint, own.lowScore = b.addComplaintAndLowScore(t, b.dealer.ID, "agent1", "王建国", own.call)
	other.complaint, other.lowScore = b.addComplaintAndLowScore(t, b.other.ID, "agentx", "外店客户", other.call)
	for i := 0; i < 2; i++ {
		own.appointments = append(own.appointments, b.addAppointment(t, b.dealer.ID, own.customer, localToday(10, 0, 0), "booked"))
		other.appointments = append(other.appointments, b.addAppointment(t, b.other.ID, other.customer, localToday(10, 0, 0), "booked"))
	}
	b.addDeskUser(t, b.dealer.ID, "desk1")
	clients := map[string]*http.Client{}
	for _, name := range []string{"agent1", "director1", "desk1"} {
		clients[name] = b.login(t, name)
	}
	request := func(c *http.Client, pattern string, id int64) (int, string) {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.Replace(path, "{id}", fmt.Sprint(id), 1)
		var form url.Values
		if method == http.MethodPost {
			csrfPage := "/director/calls"
			if strings.HasPrefix(path, "/desk") {
				csrfPage = "/desk"
			}
			form = url.Values{"csrf": {b.csrfOf(t, c, csrfPage)}, "comment": {"sweep"}, "action": {"note"}, "note": {"sweep"},
				"at": {localToday(10, 0, 2).Format("2006-01-02T15:04")}, "kind": {"maintenance"}}
			for _, it := range defaultRubric {
				form.Set("s_"+it.Key, "0")
			}
		}
		resp, body := b.do(t, c, method, path, form, nil)
		return resp.StatusCode, body
	}
	tried := 0
	for _, rt := range idRoutes {
		for _, name := range rt.users {
			c := clients[name]
			code, body := request(c, rt.pattern, rt.id(other))
			require.Equal(t, http.StatusNotFound, code, "%s as %s with the other dealer's id", rt.pattern, name)
			require.NotContains(t, body, "外店", "%s as %s", rt.pattern, name)
			tried++
			if strings.HasPrefix(rt.pattern, "POST /desk") && name != rt.users[0] {
				continue // marked by the first user already
			}
			code, _ = request(c, rt.pattern, rt.id(own))
			require.Less(t, code, 400, "%s as %s with its own dealer's id", rt.pattern, name)
		}
	}
	require.Equal(t, 14, tried)
	var scored int
	require.NoError(t, b.db.QueryRow(t.Context(), `SELECT count(*) FROM spot_checks WHERE attempt_id = $1`, other.call).Scan(&scored))
	require.Zero(t, scored, "the other dealer's call was scored")
}

// TestIDSweepCoversEveryRoute: every route of the console with a path parameter is swept
// (or is not an id: static files, script campaigns).
func TestIDSweepCoversEveryRoute(t *testing.T) {
	notIDs := map[string]bool{"GET /static/{sum}/{file}": true, "GET /scripts/{campaign}": true,
		"POST /scripts/{campaign}": true, "POST /scripts/{campaign}/preview": true}
	swept := map[string]bool{}
	for _, rt := range idRoutes {
		swept[rt.pattern] = true
	}
	re := regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+ [^"]*\{[^"]*)"`)
	for _, file := range []string{"routes.go"} {
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if strings.HasSuffix(m[1], "/{$}") {
				continue // an exact-match path, no parameter
			}
			require.True(t, swept[m[1]] || notIDs[m[1]], "route %s takes a parameter and is not in the id sweep (idRoutes)", m[1])
		}
	}
}
