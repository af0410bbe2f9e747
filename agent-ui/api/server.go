package api

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"
)

// Config configures the API server.
type Config struct {
	// DB is the product's Postgres pool.
	DB *pgxpool.Pool
	// Log receives one line per refused or failed request.
	Log *slog.Logger
	// PublicURL is the address clients reach the server at; recording URLs start with it.
	PublicURL string
	// Rate is how many requests a second one key may make on average; zero means 50.
	Rate float64
	// Burst is how many requests one key may make at once; zero means 100.
	Burst int
	// RecordingsDir is the recordings directory: a recording is served only from inside it.
	RecordingsDir string
	// RecordingTTL is how long a signed recording URL stays valid; zero means 1 hour.
	RecordingTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the JSON API. Its routes are added to a mux by Register.
type Server struct {
	cfg Config
	db  *pgxpool.Pool
	log *slog.Logger

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter
}

// New checks cfg and returns the API server.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil {
		return nil, errors.New("api: DB is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 50
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 100
	}
	if cfg.RecordingTTL <= 0 {
		cfg.RecordingTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{cfg: cfg, db: cfg.DB, log: cfg.Log, limiters: map[int64]*rate.Limiter{}}, nil
}

// maxBody is the largest request body of a single write; a batch may hold up to
// maxBatchLines lines of up to maxBody each.
const maxBody = 1 << 20

// Register adds every route of the API to mux: the one route table.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes() {
		h := rt.handler
		if !rt.public {
			h = s.authed(h)
		}
		mux.Handle(rt.pattern, s.guard(h))
	}
	// Anything else under /api/v1/ is a JSON 404, not the console's page.
	mux.Handle("/api/v1/", s.guard(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API route: " + r.Method + " " + r.URL.Path})
	}))
}

// route is one line of the route table.
type route struct {
	pattern string
	handler http.HandlerFunc
	// public routes need no key (the OpenAPI document; recordings, whose URL is signed).
	public bool
}

func (s *Server) routes() []route {
	return []route{
		{pattern: "GET /api/v1/openapi.json", handler: s.openAPI, public: true},
		{pattern: "POST /api/v1/showroom-visits", handler: s.postShowroomVisit},
		{pattern: "POST /api/v1/appointments", handler: s.postAppointment},
		{pattern: "PATCH /api/v1/appointments/{id}", handler: s.patchAppointment},
		{pattern: "GET /api/v1/appointments", handler: s.getAppointments},
		{pattern: "POST /api/v1/workshop-visits", handler: s.postWorkshopVisit},
		{pattern: "POST /api/v1/customers", handler: s.postCustomer},
		{pattern: "POST /api/v1/odometer-readings", handler: s.postOdometerReading},
		{pattern: "POST /api/v1/complaints", handler: s.postComplaint},
		{pattern: "GET /api/v1/complaints", handler: s.getComplaints},
		{pattern: "PATCH /api/v1/complaints/{id}", handler: s.patchComplaint},
		{pattern: "POST /api/v1/prospects", handler: s.postProspect},
		{pattern: "POST /api/v1/batch/{kind}", handler: s.postBatch},
		{pattern: "GET /api/v1/tasks", handler: s.getTasks},
		{pattern: "GET /api/v1/calls", handler: s.getCalls},
		{pattern: "GET /api/v1/recordings/{id}", handler: s.getRecording, public: true},
	}
}

// guard sets what every API response shares.
func (s *Server) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next(w, r)
	})
}
