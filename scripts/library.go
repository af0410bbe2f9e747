package scripts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/huifang/huifang/store"
)

// Library gives the scripts in force for a dealer: the dealer's latest edit of a
// campaign's script, or the embedded one when the dealer has not edited it. Versions
// never change once saved, so parsed versions are kept in memory. It is safe for
// concurrent use.
type Library struct {
	db     store.DBTX
	parsed sync.Map // "dealer/campaign@version" -> *Script
}

// NewLibrary returns a Library reading and writing dealers' edits through db.
func NewLibrary(db store.DBTX) *Library {
	return &Library{db: db}
}

// version returns one parsed version (0: the embedded script), from memory when seen.
func (l *Library) version(ctx context.Context, dealerID int64, campaign string, n int) (*Script, error) {
	key := fmt.Sprintf("%d/%s@%d", dealerID, campaign, n)
	if n == 0 {
		key = "embedded/" + campaign
	}
	if s, ok := l.parsed.Load(key); ok {
		return s.(*Script), nil
	}
	var s *Script
	var err error
	if n == 0 {
		s, err = Builtin(campaign)
	} else {
		var v store.ScriptVersion
		v, err = store.New(l.db).GetScriptVersion(ctx, store.GetScriptVersionParams{DealerID: dealerID, Campaign: campaign, Version: int32(n)})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("scripts: dealer %d has no version %s@%d", dealerID, campaign, n)
		}
		if err != nil {
			return nil, fmt.Errorf("scripts: version %s@%d: %w", campaign, n, err)
		}
		s, err = fromRow(v)
	}
	if err != nil {
		return nil, err
	}
	l.parsed.Store(key, s)
	return s, nil
}

// Current returns the script in force for a dealer's campaign.
func (l *Library) Current(ctx context.Context, dealerID int64, campaign string) (*Script, error) {
	if _, err := BuiltinSource(campaign); err != nil {
		return nil, err
	}
	v, err := store.New(l.db).LatestScriptVersion(ctx, store.LatestScriptVersionParams{DealerID: dealerID, Campaign: campaign})
	if errors.Is(err, pgx.ErrNoRows) {
		return Builtin(campaign)
	}
	if err != nil {
		return nil, fmt.Errorf("scripts: latest %s for dealer %d: %w", campaign, dealerID, err)
	}
	return fromRow(v)
}

func fromRow(v store.ScriptVersion) (*Script, error) {
	s, err := parseStored(v.Campaign, []byte(v.Body))
	if err != nil {
		return nil, fmt.Errorf("scripts: stored %s@%d: %w", v.Campaign, v.Version, err)
	}
	s.Version = fmt.Sprintf("%s@%d", v.Campaign, v.Version)
	return s, nil
}

// Source returns the YAML text in force for a dealer's campaign and its version number
// (0 for the embedded script).
func (l *Library) Source(ctx context.Context, dealerID int64, campaign string) ([]byte, int, error) {
	b, err := BuiltinSource(campaign)
	if err != nil {
		return nil, 0, err
	}
	v, err := store.New(l.db).LatestScriptVersion(ctx, store.LatestScriptVersionParams{DealerID: dealerID, Campaign: campaign})
	if errors.Is(err, pgx.ErrNoRows) {
		return b, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("scripts: latest %s for dealer %d: %w", campaign, dealerID, err)
	}
	return []byte(v.Body), int(v.Version), nil
}

// Version returns one version of a dealer's script by its name "campaign@N".
func (l *Library) Version(ctx context.Context, dealerID int64, name string) (*Script, error) {
	campaign, num, ok := strings.Cut(name, "@")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 {
		return nil, fmt.Errorf("scripts: bad version name %q (want campaign@N)", name)
	}
	if _, err := BuiltinSource(campaign); err != nil {
		return nil, err
	}
	return l.version(ctx, dealerID, campaign, n)
}

// Save checks a director's edit (a script as written, see Check) and stores it as the
// dealer's next version of the campaign's script. Calls made before keep the version
// they were made with. A script with problems is not stored; the error is Problems.
func (l *Library) Save(ctx context.Context, dealerID int64, campaign string, edit *Script, note string, userID int64) (*Script, error) {
	if _, err := BuiltinSource(campaign); err != nil {
		return nil, err
	}
	own := *edit
	own.Version = ""
	if _, err := Check(campaign, &own); err != nil {
		return nil, err
	}
	src, err := own.Encode()
	if err != nil {
		return nil, err
	}
	if len(src) > MaxSourceBytes {
		return nil, Problems{{Msg: fmt.Sprintf("话术太长了：%d 字节，最多 %d 字节", len(src), MaxSourceBytes)}}
	}
	var by *int64
	if userID > 0 {
		by = &userID
	}
	v, err := store.New(l.db).InsertScriptVersion(ctx, store.InsertScriptVersionParams{
		DealerID: dealerID, Campaign: campaign, Body: string(src), Note: note, CreatedBy: by,
	})
	if store.IsUniqueViolation(err) {
		return nil, Problems{{Msg: "别人刚刚也保存了这份话术；请重新打开页面再改"}}
	}
	if err != nil {
		return nil, fmt.Errorf("scripts: save %s for dealer %d: %w", campaign, dealerID, err)
	}
	return fromRow(v)
}

// ForTask returns the scripts in force for a task's campaigns, in the order given
// (highest priority first). Campaigns without a script are skipped; it fails only when
// none has one.
func (l *Library) ForTask(ctx context.Context, dealerID int64, campaigns []string) ([]*Script, error) {
	latest, err := store.New(l.db).LatestScriptVersionNumbers(ctx, dealerID)
	if err != nil {
		return nil, fmt.Errorf("scripts: versions of dealer %d: %w", dealerID, err)
	}
	nums := map[string]int{}
	for _, v := range latest {
		nums[v.Campaign] = int(v.Version)
	}
	var out []*Script
	seen := map[string]bool{}
	for _, c := range campaigns {
		if seen[c] {
			continue
		}
		seen[c] = true
		if _, err := BuiltinSource(c); err != nil {
			continue
		}
		s, err := l.version(ctx, dealerID, c, nums[c])
		var ps Problems
		if errors.As(err, &ps) && nums[c] > 0 {
			// A stored version that no longer passes the checks (an old template that
			// cannot be converted) is not used; calls get the embedded script and
			// record that version.
			s, err = l.version(ctx, dealerID, c, 0)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: none of %v has a script", ErrUnknownCampaign, campaigns)
	}
	return out, nil
}
