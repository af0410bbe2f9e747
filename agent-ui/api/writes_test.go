package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShowroomVisitIdempotent(t *testing.T) {
	b := setup(t, Config{})
	body := map[string]any{"external_id": "SV-1", "phone": "+86 138-0000-1234", "name": "周", "title": "男",
		"arrived_at": "2026-11-22 15:00", "consultant": "李娜", "intent_level": "A"}
	st, out := b.post("/api/v1/showroom-visits", body)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	id := out["id"]
	require.Equal(t, "created", out["result"])
	require.Equal(t, "2026-11-22", out["day"])
	require.Equal(t, false, out["sms_queued"])

	st, out = b.post("/api/v1/showroom-visits", body)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, id, out["id"])
	require.Equal(t, "unchanged", out["result"])
	require.Equal(t, 1, b.count(`SELECT count(*) FROM outbox`), "a repeat writes nothing")

	// The visitor leaves: the same record is updated and the leave-store SMS queued.
	body["left_at"] = "2026-11-22T16:10:00+08:00"
	st, out = b.post("/api/v1/showroom-visits", body)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, id, out["id"])
	require.Equal(t, "updated", out["result"])
	require.Equal(t, true, out["sms_queued"])
	// The arrival time was wrong: still the same visit.
	body["arrived_at"] = "2026-11-22 14:50"
	st, out = b.post("/api/v1/showroom-visits", body)
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, id, out["id"])
	require.Equal(t, 1, b.count(`SELECT count(*) FROM showroom_visits`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM showroom_visits WHERE arrived_at = '2026-11-22 14:50+08' AND left_at IS NOT NULL`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM sms_messages WHERE template = 'leave_store_care'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM customers WHERE title = '先生'`), "男 is 先生, as the import reads it")
	require.Equal(t, 3, b.count(`SELECT count(*) FROM outbox WHERE task_type = 'queue:build'`))

	// Another dealer's key does not see the record: its own external ids.
	st, _, out = b.call(http.MethodPost, "/api/v1/showroom-visits", b.otherKy, body)
	require.Equal(t, http.StatusCreated, st)
	require.NotEqual(t, id, out["id"])
}

func TestCustomersWorkshopComplaintsOdometer(t *testing.T) {
	b := setup(t, Config{})
	v1, v2 := testVIN(t, 1), testVIN(t, 2)
	cust := owner("C-1", "13900000001", v1)
	st, out := b.post("/api/v1/customers", cust)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	cid := out["id"]
	st, out = b.post("/api/v1/customers", cust)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, cid, out["id"])
	require.Equal(t, "unchanged", out["result"])

	// A second vehicle and a new phone: the same customer.
	cust["phone"] = "13900000009"
	cust["vehicles"] = append(cust["vehicles"].([]map[string]any), map[string]any{"vin": v2, "delivery_day": "2026-06-01"})
	st, out = b.post("/api/v1/customers", cust)
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, cid, out["id"])
	require.Equal(t, 1, b.count(`SELECT count(*) FROM customers`))
	require.Equal(t, 2, b.count(`SELECT count(*) FROM vehicles WHERE customer_id = $1`, int64(cid.(float64))))

	// Bad input names the field; nothing of the customer is stored.
	for _, tc := range []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"bad VIN of the second vehicle", func(c map[string]any) {
			c["vehicles"] = []map[string]any{{"vin": testVIN(t, 3)}, {"vin": "NOT-A-VIN"}}
		}, "vehicles[1].vin"},
		{"bad grade", func(c map[string]any) { c["grade"] = "Z" }, "grade"},
		{"bad delivery day", func(c map[string]any) {
			c["vehicles"] = []map[string]any{{"vin": testVIN(t, 3), "delivery_day": "yesterday"}}
		}, "vehicles[0].delivery_day"},
		{"no vehicle", func(c map[string]any) { c["vehicles"] = []map[string]any{} }, "vehicles"},
		{"unknown vehicle field", func(c map[string]any) {
			c["vehicles"] = []map[string]any{{"vin": testVIN(t, 3), "colour": "red"}}
		}, "vehicles[0].colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := owner("C-bad", "13900000002", testVIN(t, 3))
			tc.edit(c)
			st, out := b.post("/api/v1/customers", c)
			require.Equal(t, http.StatusBadRequest, st, "%v", out)
			_, field := errField(out)
			require.Equal(t, tc.field, field, "%v", out)
			require.Zero(t, b.count(`SELECT count(*) FROM customers WHERE phone = '13900000002'`))
			require.Zero(t, b.count(`SELECT count(*) FROM vehicles WHERE vin = $1`, testVIN(t, 3)))
		})
	}

	ws := map[string]any{"external_id": "RO-1", "vin": v1, "day": "2026-11-20", "kind": "首保", "mileage": 5200, "advisor": "王工", "amount": 380.5}
	st, out = b.post("/api/v1/workshop-visits", ws)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	wid := out["id"]
	ws["day"] = "2026-11-21"
	st, out = b.post("/api/v1/workshop-visits", ws)
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, wid, out["id"])
	require.Equal(t, 1, b.count(`SELECT count(*) FROM workshop_visits WHERE day = '2026-11-21' AND kind = 'maintenance'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM workshop_visits`))
	st, out = b.post("/api/v1/workshop-visits", map[string]any{"external_id": "RO-2", "vin": testVIN(t, 7), "day": "2026-11-20", "kind": "维修"})
	require.Equal(t, http.StatusBadRequest, st)
	_, field := errField(out)
	require.Equal(t, "vin", field, "unknown VIN: %v", out)

	st, out = b.post("/api/v1/odometer-readings", map[string]any{"external_id": "ODO-1", "vin": v1, "day": "2026-11-21", "km": 6100})
	require.Equal(t, http.StatusCreated, st, "%v", out)
	st, out = b.post("/api/v1/odometer-readings", map[string]any{"external_id": "ODO-2", "vin": v1, "day": "2026-11-21", "km": -3})
	require.Equal(t, http.StatusBadRequest, st)
	_, field = errField(out)
	require.Equal(t, "km", field)

	comp := map[string]any{"external_id": "K-1", "phone": "13900000009", "vin": v1, "opened_on": "2026-11-21", "category": "服务态度", "description": "等待太久"}
	st, out = b.post("/api/v1/complaints", comp)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	kid := out["id"]
	comp["closed_on"] = "2026-11-22"
	st, out = b.post("/api/v1/complaints", comp)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, kid, out["id"])
	st, _, out = b.call(http.MethodGet, "/api/v1/complaints", b.key, nil)
	require.Equal(t, 200, st)
	list := out["complaints"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, "closed", list[0].(map[string]any)["status"])
	require.Equal(t, "resolved", list[0].(map[string]any)["state"], "closed_on is the day it was resolved; the satisfaction call closes it")
	require.Equal(t, "normal", list[0].(map[string]any)["severity"])
	st, _, out = b.call(http.MethodGet, "/api/v1/complaints", b.otherKy, nil)
	require.Equal(t, 200, st)
	require.Empty(t, out["complaints"], "another dealer sees none")
	require.Equal(t, 7, b.count(`SELECT count(*) FROM outbox WHERE task_type = 'queue:build'`), "every write (7) asked for a rebuild")
}

func TestAppointmentsAndProspects(t *testing.T) {
	b := setup(t, Config{})
	st, out := b.post("/api/v1/customers", owner("C-1", "13900000001", testVIN(t, 1)))
	require.Equal(t, http.StatusCreated, st, "%v", out)
	appt := map[string]any{"external_id": "A-1", "phone": "13900000001", "vin": testVIN(t, 1), "at": "2026-11-25 10:30", "kind": "maintenance", "advisor": "王工"}
	st, out = b.post("/api/v1/appointments", appt)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	aid := int64(out["id"].(float64))
	appt["at"] = "2026-11-26 09:00"
	st, out = b.post("/api/v1/appointments", appt)
	require.Equal(t, http.StatusOK, st)
	require.EqualValues(t, aid, out["id"])
	// History: a past day is accepted.
	st, out = b.post("/api/v1/appointments", map[string]any{"external_id": "A-0", "phone": "13900000001", "at": "2026-10-01 09:00", "kind": "repair"})
	require.Equal(t, http.StatusCreated, st, "%v", out)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"external_id": "A-2", "phone": "13900000001", "at": "2026-11-25 10:30", "kind": "wash"}, "kind"},
		{map[string]any{"external_id": "A-2", "phone": "13911111111", "at": "2026-11-25 10:30", "kind": "repair"}, "phone"},
		{map[string]any{"external_id": "A-2", "phone": "13900000001", "at": "tomorrow", "kind": "repair"}, "at"},
		// Outside the workshop hours (08:30-17:30 by default): refused, nothing stored.
		{map[string]any{"external_id": "A-2", "phone": "13900000001", "at": "2026-11-28 02:30", "kind": "repair"}, "at"},
		{map[string]any{"external_id": "A-2", "phone": "13900000001", "at": "2026-11-28 17:45", "kind": "repair"}, "at"},
	} {
		st, out = b.post("/api/v1/appointments", tc.body)
		require.Equal(t, http.StatusBadRequest, st)
		_, field := errField(out)
		require.Equal(t, tc.field, field)
	}

	require.Equal(t, 0, b.count(`SELECT count(*) FROM appointments WHERE day = '2026-11-28'`))

	st, _, out = b.call(http.MethodGet, "/api/v1/appointments?day=2026-11-26", b.key, nil)
	require.Equal(t, 200, st)
	require.Len(t, out["appointments"], 1)
	a := out["appointments"].([]any)[0].(map[string]any)
	require.Equal(t, "2026-11-26T09:00:00+08:00", a["at"])
	require.Equal(t, "booked", a["status"])

	path := fmt.Sprintf("/api/v1/appointments/%d", aid)
	st, _, out = b.call(http.MethodPatch, path, b.otherKy, map[string]any{"status": "cancelled"})
	require.Equal(t, http.StatusNotFound, st, "another dealer's appointment is 404")
	st, _, out = b.call(http.MethodPatch, path, b.key, map[string]any{"status": "gone"})
	require.Equal(t, http.StatusBadRequest, st)
	st, _, out = b.call(http.MethodPatch, path, b.key, map[string]any{"status": "cancelled"})
	require.Equal(t, http.StatusOK, st, "%v", out)
	require.Equal(t, "cancelled", out["status"])

	pr := map[string]any{"external_id": "P-1", "phone": "13700000001", "name": "孙", "intent_level": "H", "consultant": "张伟"}
	st, out = b.post("/api/v1/prospects", pr)
	require.Equal(t, http.StatusCreated, st, "%v", out)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM customers WHERE phone = '13700000001' AND prospect_status = 'key' AND intent_level = 'H'`))
	pr["status"] = "战败"
	pr["lost_reason"] = "买了别的品牌"
	st, _ = b.post("/api/v1/prospects", pr)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM customers WHERE phone = '13700000001' AND prospect_status = 'lost' AND lost_reason <> ''`))
	pr["status"] = "maybe"
	st, out = b.post("/api/v1/prospects", pr)
	require.Equal(t, http.StatusBadRequest, st)
	_, field := errField(out)
	require.Equal(t, "status", field)
}
