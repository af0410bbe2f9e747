package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/store"
)

// TypeSpotCheckSample draws one dealer's morning spot-check sample for one day
// (SpotCheckSamplePayload).
const TypeSpotCheckSample = "queue:spotcheck"

// SpotCheckSamplePayload is the payload of a TypeSpotCheckSample task: the dealer and
// the day whose calls are sampled (the day before the morning it runs).
type SpotCheckSamplePayload struct {
	DealerID int64  `json:"dealer_id"`
	Day      string `json:"day"`
}

// NewSpotCheckSampleTask returns the task that samples dealerID's calls of day.
func NewSpotCheckSampleTask(dealerID int64, day time.Time) (*asynq.Task, error) {
	b, err := json.Marshal(SpotCheckSamplePayload{DealerID: dealerID, Day: day.Format(time.DateOnly)})
	if err != nil {
		return nil, fmt.Errorf("spot-check sample task: %w", err)
	}
	return asynq.NewTask(TypeSpotCheckSample, b), nil
}

// SpotCheckSampleID is the deterministic task id of a dealer's sample of a day, so any
// number of schedulers draw it once.
func SpotCheckSampleID(dealerID int64, day time.Time) string {
	return fmt.Sprintf("spotcheck:%d:%s", dealerID, day.Format(time.DateOnly))
}

// SampleSpotChecks puts the morning sample of dealerID's calls of day on the directors'
// to-check list (spot_checks, pending), as docs/domain.md "Spot-check sampling" says:
// for each agent who reached customers that day (outcomes whose code says reached, on
// the dealer's local day), spot_check_percent of those calls rounded up, at least
// spot_check_min and at most spot_check_max (never more than there are), drawn in an
// order fixed by the call and the day (so a second run draws the same calls) from the
// calls without a low score or a complaint, plus every one of them with a low score or a
// complaint. A call already on the list stays as it
// is. It returns how many calls it added.
func SampleSpotChecks(ctx context.Context, db store.DBTX, dealerID int64, day, now time.Time) (int, error) {
	r, err := LoadRules(ctx, db, dealerID)
	if err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, `
		WITH bounds AS (
		    SELECT ($2::date::timestamp AT TIME ZONE d.time_zone) AS lo, (($2::date + 1)::timestamp AT TIME ZONE d.time_zone) AS hi
		    FROM dealers d WHERE d.id = $1
		), calls AS (
		    SELECT o.attempt_id, o.agent_user_id,
		           EXISTS (SELECT 1 FROM call_scores s WHERE s.outcome_id = o.id AND s.score <= 2) AS low,
		           (o.effect = 'complaint') AS complaint
		    FROM bounds b
		    JOIN call_outcomes o ON o.dealer_id = $1 AND o.created_at >= b.lo AND o.created_at < b.hi
		    CROSS JOIN LATERAL (SELECT oc.reached FROM outcome_codes oc WHERE oc.code = o.code
		                        AND (oc.dealer_id = o.dealer_id OR oc.dealer_id IS NULL)
		                        ORDER BY oc.dealer_id NULLS LAST LIMIT 1) oc
		    WHERE oc.reached AND o.attempt_id IS NOT NULL AND o.agent_user_id IS NOT NULL
		), ranked AS (
		    SELECT c.*, row_number() OVER (PARTITION BY agent_user_id ORDER BY (low OR complaint), md5(attempt_id::text || ':' || $2::date::text)) AS rn,
		           count(*) OVER (PARTITION BY agent_user_id) AS n
		    FROM calls c
		)
		INSERT INTO spot_checks (dealer_id, attempt_id, agent_user_id, source, sample_day, created_at)
		SELECT $1, attempt_id, agent_user_id,
		       CASE WHEN complaint THEN 'complaint' WHEN low THEN 'low_score' ELSE 'sample' END, $2::date, $3
		FROM ranked
		WHERE low OR complaint OR rn <= LEAST(n, GREATEST($5::int, LEAST($6::int, ceil(n * $4::int / 100.0)::int)))
		ON CONFLICT (attempt_id) DO NOTHING`,
		dealerID, day, now, r.Get("spot_check_percent"), r.Get("spot_check_min"), r.Get("spot_check_max"))
	if err != nil {
		return 0, fmt.Errorf("spot-check sample dealer %d day %s: %w", dealerID, day.Format(time.DateOnly), err)
	}
	return int(tag.RowsAffected()), nil
}

// handleSpotCheckSample runs a TypeSpotCheckSample task.
func handleSpotCheckSample(db *pgxpool.Pool, now func() time.Time) func(context.Context, *asynq.Task) error {
	return func(ctx context.Context, t *asynq.Task) error {
		var p SpotCheckSamplePayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.DealerID == 0 {
			return fmt.Errorf("%s: bad payload %q: %w", TypeSpotCheckSample, t.Payload(), errors.Join(err, asynq.SkipRetry))
		}
		day, err := time.Parse(time.DateOnly, p.Day)
		if err != nil {
			return fmt.Errorf("%s: bad day %q: %w", TypeSpotCheckSample, p.Day, asynq.SkipRetry)
		}
		if _, err := SampleSpotChecks(ctx, db, p.DealerID, day, now()); err != nil {
			return err
		}
		return nil
	}
}
