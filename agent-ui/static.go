package agentui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed static templates
var assets embed.FS

// staticFiles are the embedded static files with their checksums.
type staticFiles struct {
	files map[string][]byte
	sums  map[string]string
	// urls maps a file name to its checksum URL (/static/<sum>/<name>).
	urls map[string]string
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{files: map[string][]byte{}, sums: map[string]string{}, urls: map[string]string{}}
	entries, err := fs.ReadDir(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("agentui: read static: %w", err)
	}
	for _, e := range entries {
		b, err := assets.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("agentui: read static %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		s.files[e.Name()] = b
		s.sums[e.Name()] = hex.EncodeToString(sum[:8])
		s.urls[e.Name()] = "/static/" + s.sums[e.Name()] + "/" + e.Name()
	}
	return s, nil
}

// staticFile serves an embedded file at its checksum URL, cached for a year; a stale
// checksum is not found, so a browser never keeps an old file under a new page.
func (h *handler) staticFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, ok := h.static.files[name]
	if !ok || h.static.sums[name] != r.PathValue("sum") {
		h.fail(w, r, errNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
