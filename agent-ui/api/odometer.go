package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/importer"
)

// odometerIn is the body of POST /api/v1/odometer-readings: a vehicle's mileage on a day.
type odometerIn struct {
	ExternalID string `json:"external_id"`
	VIN        string `json:"vin"`
	Day        string `json:"day"`
	Km         *int64 `json:"km"`
}

func (s *Server) postOdometerReading(w http.ResponseWriter, r *http.Request) {
	var in odometerIn
	if err := decodeWrite(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.odometerReading(r.Context(), callerFrom(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, out.status(), out)
}

// odometerReading stores a reading (source api) as the import stores the owners file's
// mileage: the importer's VIN, day and mileage rules.
func (s *Server) odometerReading(ctx context.Context, c *caller, in odometerIn) (written, error) {
	vin := importer.NormalizeVIN(in.VIN)
	if err := importer.CheckVIN(vin); err != nil {
		return written{}, invalid("vin", "vin %q: %v", in.VIN, err)
	}
	day, err := importer.ParseDay(in.Day)
	if err != nil {
		return written{}, invalid("day", "day %q: %v", in.Day, err)
	}
	if in.Km == nil {
		return written{}, invalid("km", "km is required")
	}
	km, err := importer.ParseMileage(fmt.Sprint(*in.Km))
	if err != nil {
		return written{}, invalid("km", "km %d: %v", *in.Km, err)
	}
	return s.single(ctx, c, "odometer_reading", in.ExternalID, in, true, func(tx pgx.Tx, existing int64) (int64, error) {
		q := store.New(tx)
		v, err := q.VehicleByVIN(ctx, store.VehicleByVINParams{DealerID: c.DealerID, Vin: vin})
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, invalid("vin", "no vehicle of this dealer has the VIN %s", vin)
		}
		if err != nil {
			return 0, fmt.Errorf("odometer reading: %w", err)
		}
		if existing != 0 {
			// The caller's reading moved to another vehicle or day: the old one goes.
			if err := q.DeleteOdometerReading(ctx, store.DeleteOdometerReadingParams{ID: existing, DealerID: c.DealerID, VehicleID: v.ID, Day: day}); err != nil {
				return 0, fmt.Errorf("odometer reading %d: %w", existing, err)
			}
		}
		id, err := q.UpsertOdometerReading(ctx, store.UpsertOdometerReadingParams{VehicleID: v.ID, Day: day, Km: km, Source: "api"})
		if err != nil {
			return 0, fmt.Errorf("odometer reading: %w", err)
		}
		return id, nil
	})
}
