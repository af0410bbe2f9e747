package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/queue"
	"github.com/huifang/huifang/store"
)

// written is the answer to one write: the record's id and whether it was created,
// updated or found unchanged.
type written struct {
	// ID is our id of the record.
	ID int64 `json:"id"`
	// ExternalID is the caller's id of it.
	ExternalID string `json:"external_id"`
	// Result is created, updated or unchanged.
	Result string `json:"result"`
}

// status is the HTTP status of a write: 201 for a new record, 200 otherwise.
func (w written) status() int {
	if w.Result == "created" {
		return http.StatusCreated
	}
	return http.StatusOK
}

// bodyHash is the fingerprint of a decoded request, to tell a repeat from a change.
func bodyHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkExternalID refuses an empty or overlong external_id.
func checkExternalID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return invalid("external_id", "external_id is required (your system's id of the record, so a repeat creates nothing new)")
	case len(id) > 200:
		return invalid("external_id", "external_id is longer than 200 characters")
	}
	return nil
}

// lockExternalIDs serialises writes of the same external ids. One id (a single write)
// takes the kind's lock shared and the id's lock; several (a batch) take the kind's lock
// alone, so a batch of 10,000 lines holds one lock, not 10,000.
func lockExternalIDs(ctx context.Context, tx pgx.Tx, dealerID int64, kind string, ids []string) error {
	var err error
	if len(ids) == 1 {
		_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(hashtextextended($1::bigint || ':' || $2::text, 0)),
			pg_advisory_xact_lock(hashtextextended($1::bigint || ':' || $2::text || ':' || $3::text, 0))`, dealerID, kind, ids[0])
	} else {
		_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1::bigint || ':' || $2::text, 0))`, dealerID, kind)
	}
	if err != nil {
		return fmt.Errorf("lock external ids: %w", err)
	}
	return nil
}

// single runs one idempotent write of a record of kind in its own transaction: a repeat
// of the last body applied returns its id and writes nothing; otherwise apply writes the
// record (existing is its id when the external id is known, else 0), the external id is
// mapped to it and, when rebuild, the dealer's queue build of today is asked for.
func (s *Server) single(ctx context.Context, c *caller, kind, externalID string, body any, rebuild bool,
	apply func(tx pgx.Tx, existing int64) (int64, error)) (written, error) {
	res := written{ExternalID: externalID}
	if err := checkExternalID(externalID); err != nil {
		return res, err
	}
	hash := bodyHash(body)
	err := store.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := lockExternalIDs(ctx, tx, c.DealerID, kind, []string{externalID}); err != nil {
			return err
		}
		q := store.New(tx)
		prev, err := q.GetExternalID(ctx, store.GetExternalIDParams{DealerID: c.DealerID, Kind: kind, ExternalID: externalID})
		switch {
		case err == nil && prev.BodyHash == hash:
			res.ID, res.Result = prev.RecordID, "unchanged"
			return nil
		case err == nil:
			res.ID, res.Result = prev.RecordID, "updated"
		case errors.Is(err, pgx.ErrNoRows):
			res.Result = "created"
		default:
			return fmt.Errorf("external id: %w", err)
		}
		id, err := apply(tx, res.ID)
		if err != nil {
			return err
		}
		res.ID = id
		if err := q.PutExternalID(ctx, store.PutExternalIDParams{DealerID: c.DealerID, Kind: kind, ExternalID: externalID, RecordID: id, BodyHash: hash}); err != nil {
			return fmt.Errorf("external id: %w", err)
		}
		if rebuild {
			return s.requestBuild(ctx, tx, c)
		}
		return nil
	})
	return res, err
}

// requestBuild asks for a rebuild of the dealer's queue of today through the outbox.
func (s *Server) requestBuild(ctx context.Context, tx pgx.Tx, c *caller) error {
	return queue.RequestBuild(ctx, tx, c.DealerID, s.today(c))
}

// today is the dealer's calendar day now, as 00:00 UTC.
func (s *Server) today(c *caller) time.Time {
	y, m, d := s.cfg.Now().In(c.Loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// fieldError turns a queue.FieldError into a 400 naming its field.
func fieldError(err error) error {
	var fe *queue.FieldError
	if errors.As(err, &fe) {
		return invalid(fe.Field, "%s", fe.Msg)
	}
	return err
}

// decodeWrite reads a single write's body (up to 1 MiB) into v.
func decodeWrite(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r, maxBody)
	if err != nil {
		return err
	}
	return decodeStrict(b, v)
}
