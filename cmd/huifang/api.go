package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/huifang/huifang/agent-ui/api"
)

// apiConfig configures the JSON API (agent-ui/api).
type apiConfig struct {
	// Rate is HUIFANG_API_RATE, the requests a second one API key may make on average.
	Rate float64
	// Burst is HUIFANG_API_BURST, the requests one key may make at once.
	Burst int
	// RecordingTTL is HUIFANG_API_RECORDING_TTL, how long a signed recording URL works.
	RecordingTTL time.Duration
}

// loadAPIConfig reads HUIFANG_API_RATE (default 50), HUIFANG_API_BURST (100) and
// HUIFANG_API_RECORDING_TTL (1h).
func loadAPIConfig(get func(name, def string) string) (apiConfig, error) {
	var c apiConfig
	var errs []error
	var err error
	if c.Rate, err = strconv.ParseFloat(get("HUIFANG_API_RATE", "50"), 64); err != nil || c.Rate <= 0 {
		errs = append(errs, fmt.Errorf("HUIFANG_API_RATE must be a positive number of requests a second, got %q", get("HUIFANG_API_RATE", "")))
	}
	if c.Burst, err = strconv.Atoi(get("HUIFANG_API_BURST", "100")); err != nil || c.Burst < 1 {
		errs = append(errs, fmt.Errorf("HUIFANG_API_BURST must be a positive integer, got %q", get("HUIFANG_API_BURST", "")))
	}
	if c.RecordingTTL, err = time.ParseDuration(get("HUIFANG_API_RECORDING_TTL", "1h")); err != nil || c.RecordingTTL <= 0 {
		errs = append(errs, fmt.Errorf("HUIFANG_API_RECORDING_TTL must be a positive duration such as 1h, got %q", get("HUIFANG_API_RECORDING_TTL", "")))
	}
	return c, errors.Join(errs...)
}

// registerAPI puts the JSON API's routes (/api/v1/...) on the HTTP part's mux.
func registerAPI(d *deps) error {
	srv, err := api.New(api.Config{DB: d.db, Log: d.log.With("part", "api"), PublicURL: d.cfg.PublicURL,
		Rate: d.cfg.API.Rate, Burst: d.cfg.API.Burst, RecordingTTL: d.cfg.API.RecordingTTL, RecordingsDir: d.cfg.RecordingsDir, Now: d.clock()})
	if err != nil {
		return err
	}
	srv.Register(d.mux)
	return nil
}
