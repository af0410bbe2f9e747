package agentui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/telephony/media"
)

// directorRecording serves a call's recording with http.ServeContent (range requests,
// so the browser can seek) to a director or admin of the call's dealer. Each listen (a
// request from the start of the file) is written to the audit log; the further range
// requests of the same listen are not.
func (h *handler) directorRecording(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r)
	c, err := h.getCall(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if c.RecordingPath == "" || !strings.EqualFold(filepath.Ext(c.RecordingPath), ".wav") {
		h.fail(w, r, errNotFound)
		return
	}
	f, err := media.OpenRecording(h.cfg.RecordingsDir, c.RecordingPath)
	if errors.Is(err, fs.ErrNotExist) {
		h.fail(w, r, errUser(http.StatusNotFound, "录音文件已不存在（可能已过保存期限被清理）", "recording file is missing"))
		return
	}
	if errors.Is(err, media.ErrOutsideRecordings) {
		// A path outside the recordings directory is never served, whatever the row says.
		h.log.WarnContext(r.Context(), "recording outside the recordings directory refused", "call", c.ID, "path", c.RecordingPath, "err", err)
		h.fail(w, r, errNotFound)
		return
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("director: open recording %d: %w", c.ID, err))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		h.fail(w, r, errNotFound)
		return
	}
	if rg := r.Header.Get("Range"); rg == "" || strings.HasPrefix(rg, "bytes=0-") {
		detail, _ := json.Marshal(map[string]any{"range": rg, "remote": h.clientAddr(r)})
		err := h.q().InsertAudit(r.Context(), store.InsertAuditParams{DealerID: &u.DealerID, UserID: &u.ID,
			Action: "recording.listen", SubjectType: "call_attempt", SubjectID: &c.ID, Detail: detail})
		if err != nil {
			h.fail(w, r, fmt.Errorf("director: audit listen: %w", err))
			return
		}
	}
	// An hour's recording is 115 MB: its download may outlast the server's write timeout.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(recordingWriteTimeout))
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, filepath.Base(c.RecordingPath), st.ModTime(), f)
}

// recordingWriteTimeout is how long a recording's download may take.
const recordingWriteTimeout = 30 * time.Minute

// RetentionKey is the dealer setting (dealers.settings) holding how many days recordings
// are kept; 0 or absent keeps them for ever.
const RetentionKey = "recording_retention_days"

// PurgeResult says what PurgeRecordings did for one dealer.
type PurgeResult struct {
	// DealerID and DealerCode name the dealer; Days is its retention.
	DealerID   int64
	DealerCode string
	Days       int
	// Deleted counts the files deleted; Missing the records whose file was already gone.
	Deleted, Missing int
}

// PurgeRecordings deletes the recording files older than each dealer's retention
// (RetentionKey days before now) and keeps the call records: their recording_path is
// cleared and recording_purged_at set. dealerCode limits it to one dealer when not empty.
func PurgeRecordings(ctx context.Context, db store.DBTX, now time.Time, dealerCode string, log *slog.Logger) ([]PurgeResult, error) {
	if log == nil {
		log = slog.Default()
	}
	q := store.New(db)
	dealers, err := q.ListDealersForRetention(ctx)
	if err != nil {
		return nil, fmt.Errorf("purge recordings: dealers: %w", err)
	}
	var out []PurgeResult
	for _, d := range dealers {
		if dealerCode != "" && d.Code != dealerCode {
			continue
		}
		var s map[string]any
		_ = json.Unmarshal(d.Settings, &s)
		days, _ := s[RetentionKey].(float64)
		if days <= 0 {
			continue
		}
		res := PurgeResult{DealerID: d.ID, DealerCode: d.Code, Days: int(days)}
		before := now.Add(-time.Duration(days) * 24 * time.Hour)
		for {
			batch, err := q.ListRecordingsToPurge(ctx, store.ListRecordingsToPurgeParams{DealerID: &d.ID, Before: before, MaxRows: 500})
			if err != nil {
				return out, fmt.Errorf("purge recordings: dealer %s: %w", d.Code, err)
			}
			for _, b := range batch {
				err := os.Remove(b.RecordingPath)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					res.Missing++
				case err != nil:
					return out, fmt.Errorf("purge recordings: dealer %s: %w", d.Code, err)
				default:
					res.Deleted++
				}
				if err := q.MarkRecordingPurged(ctx, store.MarkRecordingPurgedParams{ID: b.ID, DealerID: &d.ID, At: &now}); err != nil {
					return out, fmt.Errorf("purge recordings: mark %d: %w", b.ID, err)
				}
			}
			if len(batch) < 500 {
				break
			}
		}
		log.Info("recordings purged", "dealer", d.Code, "days", res.Days, "deleted", res.Deleted, "missing", res.Missing)
		out = append(out, res)
	}
	return out, nil
}
