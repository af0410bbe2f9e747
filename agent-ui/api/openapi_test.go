package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/queue"
)

// loadDoc loads and validates openapi.json.
func loadDoc(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "openapi.json is not a valid OpenAPI document")
	require.Equal(t, "3.1.0", doc.OpenAPI)
	return doc
}

// The route table and the document list the same operations.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadDoc(t)
	s := &Server{}
	var code, documented []string
	for _, rt := range s.routes() {
		code = append(code, rt.pattern)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(code)
	sort.Strings(documented)
	require.Equal(t, code, documented, "a route is missing from openapi.json, or documented but not served")
}

// openAPITypes are the Go types behind the document's schemas.
var openAPITypes = map[string]reflect.Type{
	"Error":              reflect.TypeFor[errorBody](),
	"ErrorDetail":        reflect.TypeFor[errorDetail](),
	"Written":            reflect.TypeFor[written](),
	"ShowroomVisitIn":    reflect.TypeFor[showroomVisitIn](),
	"ShowroomVisitOut":   reflect.TypeFor[showroomVisitOut](),
	"AppointmentIn":      reflect.TypeFor[appointmentIn](),
	"AppointmentWritten": reflect.TypeFor[appointmentWritten](),
	"AppointmentPatch":   reflect.TypeFor[appointmentPatch](),
	"Appointment":        reflect.TypeFor[appointmentOut](),
	"AppointmentList":    reflect.TypeFor[appointmentList](),
	"VehicleIn":          reflect.TypeFor[vehicleIn](),
	"CustomerIn":         reflect.TypeFor[customerIn](),
	"WorkshopVisitIn":    reflect.TypeFor[workshopVisitIn](),
	"OdometerIn":         reflect.TypeFor[odometerIn](),
	"ComplaintIn":        reflect.TypeFor[complaintIn](),
	"ProspectIn":         reflect.TypeFor[prospectIn](),
	"BatchResult":        reflect.TypeFor[batchResult](),
	"Task":               reflect.TypeFor[queue.ListedTask](),
	"TaskList":           reflect.TypeFor[taskList](),
	"CallRecord":         reflect.TypeFor[CallRecord](),
	"CallList":           reflect.TypeFor[callList](),
	"Complaint":          reflect.TypeFor[complaintOut](),
	"ComplaintList":      reflect.TypeFor[complaintList](),
	"ComplaintPatch":     reflect.TypeFor[complaintPatch](),
}

// webhookBodyFields are the keys of the body webhook_emit (migration 0120) builds.
var webhookBodyFields = []string{"data", "dealer", "event", "id", "occurred_at"}

// jsonFields lists the JSON names of t's fields, embedded structs flattened.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Every field of the code is in the document and every documented field in the code.
func TestOpenAPIFields(t *testing.T) {
	doc := loadDoc(t)
	for name, ref := range doc.Components.Schemas {
		var props []string
		for p := range ref.Value.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		if name == "WebhookEvent" {
			require.Equal(t, webhookBodyFields, props, name)
			continue
		}
		typ, ok := openAPITypes[name]
		require.True(t, ok, "schema %s has no Go type in openAPITypes", name)
		require.Equal(t, jsonFields(typ), props, "schema %s and %s differ", name, typ)
	}
	for name := range openAPITypes {
		require.Contains(t, doc.Components.Schemas, name, "Go type of %s is not documented", name)
	}
}

// validator checks requests and responses of the tests against openapi.json.
type validator struct {
	t      testing.TB
	router routers.Router
	next   http.RoundTripper
}

var registerDecoders sync.Once

func newValidator(t testing.TB) *validator {
	doc := loadDoc(t)
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	registerDecoders.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("audio/wav", openapi3filter.FileBodyDecoder)
	})
	return &validator{t: t, router: r, next: http.DefaultTransport}
}

// RoundTrip sends req and validates the response against the document, and the request
// too when the server accepted it (a refused request is refused on purpose by the tests).
func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))

	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(vreq)
	if err != nil {
		if res.StatusCode != http.StatusNotFound {
			v.t.Errorf("openapi: %s %s is not documented: %v", req.Method, req.URL.Path, err)
		}
		return res, nil
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if res.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			v.t.Errorf("openapi: request %s %s accepted by the server but not by the document: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: opts}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		v.t.Errorf("openapi: response %d to %s %s does not match the document: %v", res.StatusCode, req.Method, req.URL.Path, err)
	}
	return res, nil
}
