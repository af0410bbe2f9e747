package sms

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store"
	"github.com/huifang/huifang/store/storetest"
)

// TestReportBatchesDoNotDeadlock writes report batches whose messages overlap, in
// opposite orders, from several connections at once, while single messages are
// recorded as sent: every statement locks its messages in id order, so none deadlocks
// (issue 18: 40P01 lost delivery reports).
func TestReportBatchesDoNotDeadlock(t *testing.T) {
	db := storetest.New(t)
	ids := batchMessages(t, db, 200)
	ctx := context.Background()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := 0; i < 15; i++ {
				batch := append([]int64(nil), ids...)
				r.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
				batch = batch[:120]
				p := store.RecordSMSReportsParams{Ids: batch}
				for range batch {
					p.Kinds = append(p.Kinds, "buffered")
					p.Codes = append(p.Codes, "4")
					p.Details = append(p.Details, "")
					p.Ats = append(p.Ats, at)
				}
				if _, err := store.New(db).RecordSMSReports(ctx, p); err != nil {
					errs <- fmt.Errorf("report batch: %w", err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := len(ids) - 1; i >= 0; i-- {
			if err := store.New(db).MarkSMSSubmitted(ctx, store.MarkSMSSubmittedParams{Now: at, Provider: "kannel", ProviderID: "x", ID: ids[i]}); err != nil {
				errs <- fmt.Errorf("mark sent: %w", err)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestKannelReportAnswers: a report that is stored is answered 200, a report for a
// message we do not have 404 (retrying cannot help), never 500.
func TestKannelReportAnswers(t *testing.T) {
	db := storetest.New(t)
	ids := batchMessages(t, db, 1)
	h := &KannelHandler{Recorder: &Recorder{DB: db}}
	for _, c := range []struct {
		id   int64
		want int
	}{{ids[0], http.StatusOK}, {ids[0] + 1000, http.StatusNotFound}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/sms/kannel/dlr?id=%d&type=1&answer=ok&ts=1700000000", c.id), nil))
		require.Equal(t, c.want, rec.Code, "id %d: %s", c.id, rec.Body.String())
	}
}

// TestConcurrentReportsForOneMessageAreAllStored: Kannel sends "SMSC accepted" and
// "delivered" for a message at nearly the same moment, on two connections; both are
// stored, whichever waits for the other's lock.
func TestConcurrentReportsForOneMessageAreAllStored(t *testing.T) {
	db := storetest.New(t)
	ids := batchMessages(t, db, 40)
	rec := &Recorder{DB: db}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(ids))
	for _, id := range ids {
		for _, kind := range []string{"submitted", "delivered"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- rec.RecordReport(context.Background(), Report{MessageID: id, Kind: kind, Code: kind, At: at})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var events int
	require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM sms_events`).Scan(&events))
	require.Equal(t, 2*len(ids), events)
}
