package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

var (
	// ErrDealerExists marks a dealer code that is taken (SaveDealer without Update).
	ErrDealerExists = errors.New("dealer exists")
	// ErrNoDealer marks a dealer code that no dealer has.
	ErrNoDealer = errors.New("no such dealer")
)

// SaveDealerParams is a dealer to create, or with Update to change.
type SaveDealerParams struct {
	// Code is the dealer's code (1 to 32 of A-Z a-z 0-9 _ -).
	Code string
	// Name is the dealer's name; required to create, empty keeps it on Update.
	Name string
	// TimeZone is the dealer's zone, such as Asia/Shanghai; empty means Asia/Shanghai to
	// create and keeps it on Update.
	TimeZone string
	// Update changes an existing dealer (and creates it when missing, if Name is given);
	// without it an existing code is ErrDealerExists.
	Update bool
}

// SaveDealer creates a dealer, or with Update changes an existing dealer's name and time
// zone, validated and audited (dealer.add or dealer.update) in one transaction. Bad input
// is ErrInvalidDealer, a taken code ErrDealerExists, an update of a missing dealer
// without a name ErrNoDealer; nothing is written then. It reports whether it created the
// dealer.
func SaveDealer(ctx context.Context, db TxBeginner, p SaveDealerParams, by Actor) (d Dealer, created bool, err error) {
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		old, err := q.GetDealerByCode(ctx, p.Code)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if p.Name == "" {
				return fmt.Errorf("%w: %q (give a name to create it)", ErrNoDealer, p.Code)
			}
			zone := p.TimeZone
			if zone == "" {
				zone = "Asia/Shanghai"
			}
			if err := ValidateDealer(p.Code, p.Name, zone); err != nil {
				return err
			}
			d, err = q.CreateDealer(ctx, CreateDealerParams{Code: p.Code, Name: p.Name, TimeZone: zone})
			if IsUniqueViolation(err) {
				return fmt.Errorf("%w: %q", ErrDealerExists, p.Code)
			}
			if err != nil {
				return err
			}
			created = true
		case err != nil:
			return err
		case !p.Update:
			return fmt.Errorf("%w: %q", ErrDealerExists, p.Code)
		default:
			name, zone := old.Name, old.TimeZone
			if p.Name != "" {
				name = p.Name
			}
			if p.TimeZone != "" {
				zone = p.TimeZone
			}
			if err := ValidateDealer(p.Code, name, zone); err != nil {
				return err
			}
			if d, err = q.UpdateDealerNameZone(ctx, UpdateDealerNameZoneParams{Name: name, TimeZone: zone, Code: p.Code}); err != nil {
				return err
			}
		}
		action := "dealer.update"
		if created {
			action = "dealer.add"
		}
		detail, err := json.Marshal(map[string]string{"code": d.Code, "name": d.Name, "time_zone": d.TimeZone, "source": by.Source})
		if err != nil {
			return err
		}
		return q.InsertAudit(ctx, InsertAuditParams{DealerID: &d.ID, UserID: by.UserID, Action: action,
			SubjectType: "dealer", SubjectID: &d.ID, Detail: detail})
	})
	if err != nil {
		return Dealer{}, false, fmt.Errorf("save dealer %s: %w", p.Code, err)
	}
	return d, created, nil
}
