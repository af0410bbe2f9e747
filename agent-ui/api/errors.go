package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Error is an API error: the HTTP status and the JSON body's code, field and message.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code is a short machine word: invalid, unauthorized, not_found, too_large,
	// rate_limited, conflict, internal.
	Code string
	// Field names the request field at fault, when one is.
	Field string
	// Message says what is wrong, for a person.
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// invalid is a 400 naming the field.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing, unknown or revoked API key (Authorization: Bearer KEY)"}
	errNotFound     = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such record"}
	errTooLarge     = &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the request body is over 1 MiB"}
)

// errorBody is the JSON of an error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// fail writes err as the JSON error body; errors that are not *Error are 500s and logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	} else {
		s.log.Info("api request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e)
	}
	writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Field: e.Field, Message: e.Message}})
}

// writeJSON writes v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeStrict reads one JSON object from data into v, refusing unknown fields, values of
// the wrong type and trailing data, with the field named.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		e := jsonError(err)
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			// encoding/json does not say where the field is; find its path.
			var raw any
			if json.Unmarshal(data, &raw) == nil {
				if p := unknownPath(raw, reflect.TypeOf(v), ""); p != "" {
					e.Field = p
				}
			}
		}
		return e
	}
	if dec.More() {
		return invalid("", "the body holds more than one JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the field.
func jsonError(err error) *Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return invalid(te.Field, "%s must be %s, not a JSON %s", fieldOr(te.Field), jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return invalid("", "the body is not valid JSON (at byte %d): %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return invalid(f, "unknown field %q", f)
	case err.Error() == "EOF":
		return invalid("", "the body is empty; send a JSON object")
	}
	return invalid("", "the body is not a valid JSON object: %v", err)
}

// unknownPath returns the path of the first key of raw that type t has no field for
// (vehicles[0].colour), or "".
func unknownPath(raw any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := raw.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			fields[strings.ToLower(name)] = f.Type
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				return p
			}
			if sub := unknownPath(x[k], ft, p); sub != "" {
				return sub
			}
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return ""
		}
		for i, e := range x {
			if sub := unknownPath(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); sub != "" {
				return sub
			}
		}
	}
	return ""
}

func fieldOr(f string) string {
	if f == "" {
		return "the body"
	}
	return f
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int32", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return k
}
