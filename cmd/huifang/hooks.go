package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/huifang/huifang/queue"
)

// afterDataChange runs after the demo has written a dealer's data: it builds the dealer's
// queue for the day at once, so the console has calls to serve as soon as it starts.
func afterDataChange(ctx context.Context, _ *config, db *pgxpool.Pool, dealerID int64, day time.Time) error {
	if _, err := queue.Build(ctx, db, queue.BuildParams{DealerID: dealerID, Day: day}); err != nil {
		return fmt.Errorf("build queue: %w", err)
	}
	return nil
}
