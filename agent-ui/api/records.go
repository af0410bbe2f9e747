package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
)

// customerIn is the body of POST /api/v1/customers: an owner with vehicles, validated
// and written as a row of an owners file per vehicle.
type customerIn struct {
	ExternalID string      `json:"external_id"`
	Phone      string      `json:"phone"`
	Name       string      `json:"name"`
	Title      string      `json:"title"`
	Birthday   string      `json:"birthday"`
	Grade      string      `json:"grade"`
	Consultant string      `json:"consultant"`
	Vehicles   []vehicleIn `json:"vehicles"`
}

// vehicleIn is one vehicle of a customer.
type vehicleIn struct {
	VIN           string `json:"vin"`
	Plate         string `json:"plate"`
	Brand         string `json:"brand"`
	Model         string `json:"model"`
	DeliveryDay   string `json:"delivery_day"`
	Mileage       *int64 `json:"mileage"`
	MileageDay    string `json:"mileage_day"`
	InsuranceEnd  string `json:"insurance_end"`
	WarrantyEnd   string `json:"warranty_end"`
	InspectionDue string `json:"inspection_due"`
}

var customerSpec = &importSpec{
	kind: "customer",
	file: importer.KindOwners,
	header: []string{"phone", "name", "title", "birthday", "grade", "consultant", "vin", "plate", "brand", "model",
		"delivery date", "mileage", "mileage date", "insurance end", "warranty end", "inspection due"},
	// Vehicle fields start with a dot: the vehicle's place is put before it (vehicles[1].vin).
	fields: []string{"phone", "name", "title", "birthday", "grade", "consultant", ".vin", ".plate", ".brand", ".model",
		".delivery_day", ".mileage", ".mileage_day", ".insurance_end", ".warranty_end", ".inspection_due"},
	rekey: func(ctx context.Context, q *store.Queries, c *caller, existing int64, r *impRecord) error {
		if r.key["phone"] == "" {
			return nil
		}
		if _, err := q.RekeyCustomerPhone(ctx, store.RekeyCustomerPhoneParams{Phone: r.key["phone"], ID: existing, DealerID: c.DealerID}); err != nil {
			return fmt.Errorf("customer %d: %w", existing, err)
		}
		return nil
	},
	ids: func(ctx context.Context, q *store.Queries, c *caller, recs []*impRecord) error {
		phones := make([]string, len(recs))
		for i, r := range recs {
			phones[i] = r.key["phone"]
		}
		rows, err := q.CustomerIDsByPhones(ctx, store.CustomerIDsByPhonesParams{DealerID: c.DealerID, Phones: phones})
		if err != nil {
			return fmt.Errorf("customers: %w", err)
		}
		byPhone := make(map[string]int64, len(rows))
		for _, row := range rows {
			byPhone[row.Phone] = row.ID
		}
		for _, r := range recs {
			if r.res.ID = byPhone[r.key["phone"]]; r.res.ID == 0 {
				return fmt.Errorf("customer %s not found after import", r.key["phone"])
			}
		}
		return nil
	},
}

// customerRecord turns a customer into importer rows, or a 400 naming the field.
func customerRecord(in customerIn) (*impRecord, error) {
	if err := checkExternalID(in.ExternalID); err != nil {
		return nil, err
	}
	if len(in.Vehicles) == 0 {
		return nil, invalid("vehicles", "a customer needs at least one vehicle (its VIN)")
	}
	r := &impRecord{ext: in.ExternalID, hash: bodyHash(in), key: map[string]string{"phone": normPhone(in.Phone)}}
	for i, v := range in.Vehicles {
		r.rows = append(r.rows, []string{in.Phone, in.Name, in.Title, in.Birthday, in.Grade, in.Consultant, v.VIN, v.Plate,
			v.Brand, v.Model, v.DeliveryDay, cell(v.Mileage), v.MileageDay, v.InsuranceEnd, v.WarrantyEnd, v.InspectionDue})
		r.prefixes = append(r.prefixes, fmt.Sprintf("vehicles[%d]", i))
	}
	return r, nil
}

// workshopVisitIn is the body of POST /api/v1/workshop-visits.
type workshopVisitIn struct {
	ExternalID string   `json:"external_id"`
	VIN        string   `json:"vin"`
	Day        string   `json:"day"`
	Kind       string   `json:"kind"`
	Mileage    *int64   `json:"mileage"`
	Advisor    string   `json:"advisor"`
	Amount     *float64 `json:"amount"`
}

var workshopSpec = &importSpec{
	kind:   "workshop_visit",
	file:   importer.KindWorkshop,
	header: []string{"vin", "visit date", "visit type", "mileage", "advisor", "amount"},
	fields: []string{"vin", "day", "kind", "mileage", "advisor", "amount"},
	rekey: func(ctx context.Context, q *store.Queries, c *caller, existing int64, r *impRecord) error {
		v, day, ok := workshopKey(ctx, q, c, r)
		if !ok {
			return nil
		}
		if err := q.RekeyWorkshopVisit(ctx, store.RekeyWorkshopVisitParams{VehicleID: v.ID, CustomerID: v.CustomerID, Day: day,
			TypeLabel: r.key["kind"], ID: existing, DealerID: c.DealerID}); err != nil {
			return fmt.Errorf("workshop visit %d: %w", existing, err)
		}
		return nil
	},
	ids: func(ctx context.Context, q *store.Queries, c *caller, recs []*impRecord) error {
		for _, r := range recs {
			v, day, ok := workshopKey(ctx, q, c, r)
			if !ok {
				return fmt.Errorf("workshop visit %s: vehicle not found after import", r.ext)
			}
			id, err := q.WorkshopVisitID(ctx, store.WorkshopVisitIDParams{VehicleID: v.ID, Day: day, TypeLabel: r.key["kind"]})
			if err != nil {
				return fmt.Errorf("workshop visit %s: %w", r.ext, err)
			}
			r.res.ID = id
		}
		return nil
	},
}

// workshopKey finds a workshop visit's vehicle and day; ok is false when they are not
// known (the import reports why).
func workshopKey(ctx context.Context, q *store.Queries, c *caller, r *impRecord) (store.VehicleByVINRow, time.Time, bool) {
	day, err := importer.ParseDay(r.key["day"])
	if err != nil || r.key["vin"] == "" {
		return store.VehicleByVINRow{}, time.Time{}, false
	}
	v, err := q.VehicleByVIN(ctx, store.VehicleByVINParams{DealerID: c.DealerID, Vin: r.key["vin"]})
	if err != nil {
		return store.VehicleByVINRow{}, time.Time{}, false
	}
	return v, day, true
}

func workshopRecord(in workshopVisitIn) (*impRecord, error) {
	if err := checkExternalID(in.ExternalID); err != nil {
		return nil, err
	}
	if in.VIN == "" {
		return nil, invalid("vin", "vin is required")
	}
	return &impRecord{ext: in.ExternalID, hash: bodyHash(in),
		key:      map[string]string{"vin": normVIN(in.VIN), "day": in.Day, "kind": in.Kind},
		rows:     [][]string{{in.VIN, in.Day, in.Kind, cell(in.Mileage), in.Advisor, cell(in.Amount)}},
		prefixes: []string{""}}, nil
}

// complaintIn is the body of POST /api/v1/complaints.
type complaintIn struct {
	ExternalID  string `json:"external_id"`
	Phone       string `json:"phone"`
	Name        string `json:"name"`
	VIN         string `json:"vin"`
	OpenedOn    string `json:"opened_on"`
	ClosedOn    string `json:"closed_on"`
	Category    string `json:"category"`
	Description string `json:"description"`
}

var complaintSpec = &importSpec{
	kind:   "complaint",
	file:   importer.KindComplaint,
	header: []string{"phone", "name", "vin", "complaint date", "closed on", "category", "description"},
	fields: []string{"phone", "name", "vin", "opened_on", "closed_on", "category", "description"},
	rekey: func(ctx context.Context, q *store.Queries, c *caller, existing int64, r *impRecord) error {
		cust, day, ok := complaintKey(ctx, q, c, r)
		if !ok {
			return nil
		}
		if err := q.RekeyComplaint(ctx, store.RekeyComplaintParams{CustomerID: cust, OpenedOn: day, Category: r.key["category"],
			Description: r.key["description"], ID: existing, DealerID: c.DealerID}); err != nil {
			return fmt.Errorf("complaint %d: %w", existing, err)
		}
		return nil
	},
	ids: func(ctx context.Context, q *store.Queries, c *caller, recs []*impRecord) error {
		for _, r := range recs {
			cust, day, ok := complaintKey(ctx, q, c, r)
			if !ok {
				return fmt.Errorf("complaint %s: customer not found after import", r.ext)
			}
			id, err := q.ComplaintID(ctx, store.ComplaintIDParams{CustomerID: cust, OpenedOn: day, Category: r.key["category"], Description: r.key["description"]})
			if err != nil {
				return fmt.Errorf("complaint %s: %w", r.ext, err)
			}
			r.res.ID = id
		}
		return nil
	},
}

func complaintKey(ctx context.Context, q *store.Queries, c *caller, r *impRecord) (int64, time.Time, bool) {
	day, err := importer.ParseDay(r.key["opened_on"])
	if err != nil || r.key["phone"] == "" {
		return 0, time.Time{}, false
	}
	id, err := q.CustomerIDByPhone(ctx, store.CustomerIDByPhoneParams{DealerID: c.DealerID, Phone: r.key["phone"]})
	if err != nil {
		return 0, time.Time{}, false
	}
	return id, day, true
}

func complaintRecord(in complaintIn) (*impRecord, error) {
	if err := checkExternalID(in.ExternalID); err != nil {
		return nil, err
	}
	return &impRecord{ext: in.ExternalID, hash: bodyHash(in),
		key: map[string]string{"phone": normPhone(in.Phone), "opened_on": in.OpenedOn,
			"category": in.Category, "description": in.Description},
		rows:     [][]string{{in.Phone, in.Name, in.VIN, in.OpenedOn, in.ClosedOn, in.Category, in.Description}},
		prefixes: []string{""}}, nil
}

// postImported handles a single write of an importer-backed kind: decode, one record,
// written whole or refused with the field named.
func postImported[T any](s *Server, sp *importSpec, toRecord func(T) (*impRecord, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if err := decodeWrite(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		rec, err := toRecord(in)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.importWrite(r.Context(), callerFrom(r), sp, []*impRecord{rec}, true); err != nil {
			s.fail(w, r, err)
			return
		}
		if rec.err != nil {
			s.fail(w, r, rec.err)
			return
		}
		writeJSON(w, rec.res.status(), rec.res)
	}
}

func (s *Server) postCustomer(w http.ResponseWriter, r *http.Request) {
	postImported(s, customerSpec, customerRecord)(w, r)
}

func (s *Server) postWorkshopVisit(w http.ResponseWriter, r *http.Request) {
	postImported(s, workshopSpec, workshopRecord)(w, r)
}

func (s *Server) postComplaint(w http.ResponseWriter, r *http.Request) {
	postImported(s, complaintSpec, complaintRecord)(w, r)
}
