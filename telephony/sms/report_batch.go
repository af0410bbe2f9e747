package sms

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// ReportBatcher writes delivery reports in groups: reports that arrive while a write is
// in flight are written together by the next one, in one statement and one commit
// (group commit). A lone report is written at once, so batching adds no wait when the
// gateway is quiet; under load a few hundred reports share a commit. RecordReport
// returns only when its report is committed, so a gateway is answered 200 only for
// reports that are stored. While Run is not running, each report is written on its own.
//
// Two reports for the same message never share a statement: the second waits for the
// next one, so reports apply in the order they arrived.
type ReportBatcher struct {
	db       *pgxpool.Pool
	maxBatch int
	in       chan pendingReport
	// mu guards running; senders hold it shared while they hand a report to Run.
	mu      sync.RWMutex
	running bool
}

// pendingReport is a report waiting for its write, and where to say how it went.
type pendingReport struct {
	rep Report
	res chan error
}

// NewReportBatcher returns a batcher writing to db, at most maxBatch reports per
// statement (zero means 500).
func NewReportBatcher(db *pgxpool.Pool, maxBatch int) *ReportBatcher {
	if maxBatch <= 0 {
		maxBatch = 500
	}
	return &ReportBatcher{db: db, maxBatch: maxBatch, in: make(chan pendingReport, 4*maxBatch)}
}

// RecordReport hands rep to the next write and waits until it is committed (or failed,
// or ctx ends: then the report may still be written).
func (b *ReportBatcher) RecordReport(ctx context.Context, rep Report) error {
	b.mu.RLock()
	if !b.running {
		b.mu.RUnlock()
		return recordReports(ctx, b.db, []Report{rep})[0]
	}
	p := pendingReport{rep: rep, res: make(chan error, 1)}
	select {
	case b.in <- p:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return fmt.Errorf("sms report %d: %w", rep.MessageID, ctx.Err())
	}
	select {
	case err := <-p.res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sms report %d: %w", rep.MessageID, ctx.Err())
	}
}

// Run writes the handed reports until ctx ends, then writes every report already handed
// over and returns; reports offered after that are written one by one by RecordReport.
func (b *ReportBatcher) Run(ctx context.Context) {
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
	wctx := context.WithoutCancel(ctx)
	var carry []pendingReport
	for {
		batch := carry
		carry = nil
		if len(batch) == 0 {
			select {
			case p := <-b.in:
				batch = append(batch, p)
			case <-ctx.Done():
				b.stop(wctx)
				return
			}
		}
		batch, carry = b.gather(batch)
		b.write(wctx, batch)
	}
}

// stop turns the batcher off and writes what senders handed over before it was off.
func (b *ReportBatcher) stop(ctx context.Context) {
	off := make(chan struct{})
	go func() {
		// Waits for senders in the middle of a hand-over, which the loop below unblocks.
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
		close(off)
	}()
	var batch []pendingReport
	for {
		if len(batch) == 0 {
			select {
			case p := <-b.in:
				batch = append(batch, p)
			case <-off:
				select {
				case p := <-b.in:
					batch = append(batch, p)
				default:
					return
				}
			}
		}
		var carry []pendingReport
		batch, carry = b.gather(batch)
		b.write(ctx, batch)
		batch = carry
	}
}

// gather adds what is queued to batch without waiting, up to maxBatch; a report for a
// message already in the batch ends it and starts the next.
func (b *ReportBatcher) gather(batch []pendingReport) (full, carry []pendingReport) {
	seen := make(map[int64]bool, len(batch))
	for _, p := range batch {
		seen[p.rep.MessageID] = true
	}
	for len(batch) < b.maxBatch {
		select {
		case p := <-b.in:
			if seen[p.rep.MessageID] {
				return batch, []pendingReport{p}
			}
			seen[p.rep.MessageID] = true
			batch = append(batch, p)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// write stores batch in one statement and answers each report.
func (b *ReportBatcher) write(ctx context.Context, batch []pendingReport) {
	reps := make([]Report, len(batch))
	for i, p := range batch {
		reps[i] = p.rep
	}
	errs := recordReports(ctx, b.db, reps)
	for i, p := range batch {
		p.res <- errs[i]
	}
}

// ErrNoMessage is the error of a report for a message we do not have.
var ErrNoMessage = errors.New("no message")

// reportAttempts is how many times a report statement runs when Postgres aborts it for a
// deadlock or a serialization failure.
const reportAttempts = 5

// recordReports stores reports (each message at most once) in one statement and returns
// an error per report: nil, the statement's error, or ErrNoMessage. The statement locks
// its messages in id order; a deadlock or serialization failure all the same (another
// writer that does not) runs it again, up to reportAttempts times.
func recordReports(ctx context.Context, db store.DBTX, reps []Report) []error {
	p := store.RecordSMSReportsParams{
		Ids: make([]int64, len(reps)), Kinds: make([]string, len(reps)), Codes: make([]string, len(reps)),
		Details: make([]string, len(reps)), Ats: make([]time.Time, len(reps)),
	}
	for i, r := range reps {
		p.Ids[i], p.Kinds[i], p.Codes[i], p.Details[i], p.Ats[i] = r.MessageID, r.Kind, r.Code, r.Detail, r.At
	}
	errs := make([]error, len(reps))
	var found []int64
	var err error
	for attempt := 1; ; attempt++ {
		found, err = store.New(db).RecordSMSReports(ctx, p)
		if err == nil || attempt == reportAttempts || !retryable(err) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	if err != nil {
		for i, r := range reps {
			errs[i] = fmt.Errorf("sms report %d: %w", r.MessageID, err)
		}
		return errs
	}
	ok := make(map[int64]bool, len(found))
	for _, id := range found {
		ok[id] = true
	}
	for i, r := range reps {
		if !ok[r.MessageID] {
			errs[i] = fmt.Errorf("sms report: %w %d", ErrNoMessage, r.MessageID)
		}
	}
	return errs
}

// retryable reports whether Postgres aborted a statement that may simply run again: a
// deadlock (40P01) or a serialization failure (40001).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
