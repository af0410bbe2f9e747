package agentui

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequestLogGivesEveryLineTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil)))
	h := RequestLog(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.WarnContext(r.Context(), "inside the handler")
		w.WriteHeader(http.StatusTeapot)
	}))
	cases := []struct {
		name, incoming string
		kept           bool
	}{
		{"none", "", false},
		{"sane", "lb-7f3a2c91.e4", true},
		{"too short", "abc", false},
		{"a forged log line", "abcdefgh\nlevel=ERROR", false},
		{"too long", strings.Repeat("a", 65), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buf.Reset()
			req := httptest.NewRequest("GET", "/x", nil)
			if c.incoming != "" {
				req.Header.Set(RequestIDHeader, c.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			id := rec.Header().Get(RequestIDHeader)
			if c.kept {
				require.Equal(t, c.incoming, id)
			} else {
				require.Regexp(t, `^[0-9a-f]{16}$`, id)
			}
			var lines []map[string]any
			sc := bufio.NewScanner(&buf)
			for sc.Scan() {
				var m map[string]any
				require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
				lines = append(lines, m)
			}
			require.Len(t, lines, 2)
			for _, l := range lines {
				require.Equal(t, id, l["request_id"], "every line of the request carries its id")
			}
			require.Equal(t, "http request", lines[1]["msg"])
			require.EqualValues(t, http.StatusTeapot, lines[1]["status"])
		})
	}
}
