package store

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// User administration: the rules huifang user and the console's /admin/users share.

// MinPasswordLen is the shortest login password user administration accepts.
const MinPasswordLen = 8

// maxPasswordBytes is bcrypt's limit: longer passwords would be cut silently.
const maxPasswordBytes = 72

var (
	// ErrInvalidUser marks a refused user name, role, display name or password.
	ErrInvalidUser = errors.New("invalid user")
	// ErrUsernameTaken marks a user name that is already used.
	ErrUsernameTaken = errors.New("user name taken")
	// ErrInvalidDealer marks a refused dealer code, name or time zone.
	ErrInvalidDealer = errors.New("invalid dealer")
)

var (
	usernameRe   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
	dealerCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

// ValidateDealer checks a new dealer's code (as the dealers table's CHECK), name and
// time zone (one time.LoadLocation knows).
func ValidateDealer(code, name, timeZone string) error {
	if !dealerCodeRe.MatchString(code) {
		return fmt.Errorf("%w: dealer code %q: use 1 to 32 of A-Z a-z 0-9 _ -", ErrInvalidDealer, code)
	}
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return fmt.Errorf("%w: dealer name: give 1 to 100 characters", ErrInvalidDealer)
	}
	if timeZone == "" {
		return fmt.Errorf("%w: time zone is empty", ErrInvalidDealer)
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return fmt.Errorf("%w: time zone %q is not known (such as Asia/Shanghai)", ErrInvalidDealer, timeZone)
	}
	return nil
}

// ValidateUsername checks a user name: 1 to 32 of A-Z a-z 0-9 . _ -.
func ValidateUsername(username string) error {
	if !usernameRe.MatchString(username) {
		return fmt.Errorf("%w: user name %q: use 1 to 32 of A-Z a-z 0-9 . _ -", ErrInvalidUser, username)
	}
	return nil
}

// ValidateRole checks a role: agent, director, admin or service_desk (服务前台).
func ValidateRole(role string) error {
	switch role {
	case "agent", "director", "admin", "service_desk":
		return nil
	}
	return fmt.Errorf("%w: role %q: use agent, director, admin or service_desk", ErrInvalidUser, role)
}

// SIPRealm is the digest realm of the gateway's registrar; an agent's stored HA1 is
// computed for it, so the gateway must be configured with the same realm.
const SIPRealm = "huifang"

// SIPHA1 returns the digest HA1 of a SIP secret (RFC 2617 section 3.2.2.2): the hex MD5 of
// username:realm:secret, all the registrar needs to check a phone's digest.
func SIPHA1(username, realm, secret string) string {
	sum := md5.Sum([]byte(username + ":" + realm + ":" + secret))
	return hex.EncodeToString(sum[:])
}

// NewSIPSecret returns a random SIP secret: 20 characters of A-Z and 2-7 (100 bits).
func NewSIPSecret() string { return rand.Text()[:20] }

// ValidatePassword checks a login password: at least MinPasswordLen characters,
// at most 72 bytes (bcrypt's limit), no line breaks.
func ValidatePassword(what, password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Errorf("%w: %s must have at least %d characters", ErrInvalidUser, what, MinPasswordLen)
	case len(password) > maxPasswordBytes:
		return fmt.Errorf("%w: %s must have at most %d bytes", ErrInvalidUser, what, maxPasswordBytes)
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidUser, what)
	}
	for _, r := range password {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %s must not hold control characters or line breaks", ErrInvalidUser, what)
		}
	}
	return nil
}

// NewUser is a user to add.
type NewUser struct {
	DealerID    int64
	Username    string
	DisplayName string
	Role        string
	Password    string
}

// Actor says who changed a user, for the audit log: the console user (UserID) or the
// command line (Source "cli", UserID nil).
type Actor struct {
	UserID *int64
	Source string
}

func (q *Queries) auditUser(ctx context.Context, dealerID int64, by Actor, action string, userID int64, detail map[string]any) error {
	detail["source"] = by.Source
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return q.InsertAudit(ctx, InsertAuditParams{DealerID: &dealerID, UserID: by.UserID, Action: action,
		SubjectType: "user", SubjectID: &userID, Detail: b})
}

// ErrNoUser marks a user the dealer does not have.
var ErrNoUser = errors.New("no such user")

// dealerUser loads the user when it is the dealer's.
func (q *Queries) dealerUser(ctx context.Context, dealerID, userID int64) (User, error) {
	u, err := q.GetUser(ctx, userID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && u.DealerID != dealerID) {
		return User{}, fmt.Errorf("%w: %d at the dealer", ErrNoUser, userID)
	}
	return u, err
}

// AddUser validates and adds a user, audited. A user name must be new across dealers:
// login and the SIP registrar find a user by user name alone (the registrar refuses a
// name two dealers share), so it fails with ErrUsernameTaken when any dealer has it.
// An agent gets a random SIP secret for the softphone, returned here to be shown once
// (only its HA1 is stored); other roles get none ("").
func AddUser(ctx context.Context, db TxBeginner, u NewUser, by Actor) (User, string, error) {
	row, secret, err := addUser(ctx, db, u, by)
	if err != nil {
		return User{}, "", fmt.Errorf("add user %s: %w", u.Username, err)
	}
	return row, secret, nil
}

func addUser(ctx context.Context, db TxBeginner, u NewUser, by Actor) (User, string, error) {
	if err := ValidateUsername(u.Username); err != nil {
		return User{}, "", err
	}
	if err := ValidateRole(u.Role); err != nil {
		return User{}, "", err
	}
	if utf8.RuneCountInString(u.DisplayName) > 64 {
		return User{}, "", fmt.Errorf("%w: display name: at most 64 characters", ErrInvalidUser)
	}
	if err := ValidatePassword("password", u.Password); err != nil {
		return User{}, "", err
	}
	hash, err := HashPassword(u.Password)
	if err != nil {
		return User{}, "", err
	}
	secret, ha1 := "", ""
	var issued *time.Time
	if u.Role == "agent" {
		secret = NewSIPSecret()
		ha1 = SIPHA1(u.Username, SIPRealm, secret)
		now := time.Now()
		issued = &now
	}
	var row User
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		n, err := q.CountUsernameElsewhere(ctx, CountUsernameElsewhereParams{Username: u.Username, DealerID: u.DealerID, OnlyActive: false})
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %q is used at another dealer; user names must be unique across dealers (login and phones find users by name)", ErrUsernameTaken, u.Username)
		}
		row, err = q.InsertUser(ctx, InsertUserParams{DealerID: u.DealerID, Username: u.Username, DisplayName: u.DisplayName,
			Role: u.Role, PasswordHash: hash, SipHa1: ha1, SipSecretAt: issued})
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: the dealer already has a user %q", ErrUsernameTaken, u.Username)
		}
		if err != nil {
			return err
		}
		return q.auditUser(ctx, u.DealerID, by, "user.add", row.ID, map[string]any{"username": row.Username,
			"display_name": row.DisplayName, "role": row.Role, "sip_secret": secret != ""})
	})
	if err != nil {
		return User{}, "", err
	}
	return row, secret, nil
}

// IssueSIPSecret gives an agent a new random SIP secret, audited, and returns it to be
// shown once: only its HA1 is stored, and the old secret stops working (the phone's
// stored registration is forgotten, so it must register with the new one). A user who
// is not an agent is refused with ErrInvalidUser: only agents' phones register.
func IssueSIPSecret(ctx context.Context, db TxBeginner, dealerID, userID int64, by Actor) (string, error) {
	secret := NewSIPSecret()
	err := WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		u, err := q.dealerUser(ctx, dealerID, userID)
		if err != nil {
			return err
		}
		if u.Role != "agent" {
			return fmt.Errorf("%w: only agents have a SIP secret (%s is %s)", ErrInvalidUser, u.Username, u.Role)
		}
		if _, err := q.SetUserSIPHA1(ctx, SetUserSIPHA1Params{SipHa1: SIPHA1(u.Username, SIPRealm, secret), ID: userID, DealerID: dealerID}); err != nil {
			return err
		}
		if _, err := q.DeleteUserSipBindings(ctx, userID); err != nil {
			return err
		}
		return q.auditUser(ctx, dealerID, by, "user.sip_secret", userID, map[string]any{"username": u.Username})
	})
	if err != nil {
		return "", fmt.Errorf("issue SIP secret of user %d: %w", userID, err)
	}
	return secret, nil
}

// SetUserPassword sets a user's login password, audited. It does not touch the SIP
// secret (IssueSIPSecret).
func SetUserPassword(ctx context.Context, db TxBeginner, dealerID, userID int64, password string, by Actor) error {
	if err := ValidatePassword("password", password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		u, err := q.dealerUser(ctx, dealerID, userID)
		if err != nil {
			return err
		}
		if _, err := q.SetUserPasswords(ctx, SetUserPasswordsParams{PasswordHash: hash, ID: userID, DealerID: dealerID}); err != nil {
			return err
		}
		return q.auditUser(ctx, dealerID, by, "user.password", userID, map[string]any{"username": u.Username})
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// SetUserActive enables or disables a user, audited. Disabling ends the user's console
// sessions and forgets their phone's SIP binding (the registrar no longer knows an
// inactive user, so the phone cannot register again); it returns the ended sessions'
// token hashes. Enabling fails with ErrUsernameTaken when an active user of another
// dealer has the same user name.
func SetUserActive(ctx context.Context, db TxBeginner, dealerID, userID int64, active bool, by Actor) (ended []string, err error) {
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		u, err := q.dealerUser(ctx, dealerID, userID)
		if err != nil {
			return err
		}
		if active {
			n, err := q.CountUsernameElsewhere(ctx, CountUsernameElsewhereParams{Username: u.Username, DealerID: dealerID, OnlyActive: true})
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: %q is active at another dealer", ErrUsernameTaken, u.Username)
			}
		}
		if _, err := q.SetUserActive(ctx, SetUserActiveParams{Active: active, ID: userID, DealerID: dealerID}); err != nil {
			return err
		}
		action := "user.enable"
		detail := map[string]any{"username": u.Username}
		if !active {
			action = "user.disable"
			if ended, err = q.DeleteUserConsoleSessions(ctx, userID); err != nil {
				return err
			}
			if _, err := q.DeleteUserSipBindings(ctx, userID); err != nil {
				return err
			}
			detail["sessions_ended"] = len(ended)
		}
		return q.auditUser(ctx, dealerID, by, action, userID, detail)
	})
	if err != nil {
		return nil, fmt.Errorf("set user %d active=%v: %w", userID, active, err)
	}
	return ended, nil
}

// UpdateUser changes a user's display name and role, audited (user.update, with the old
// and new values). A role change ends the user's console sessions, so the new role
// applies from their next login; it returns the ended sessions' token hashes.
func UpdateUser(ctx context.Context, db TxBeginner, dealerID, userID int64, displayName, role string, by Actor) (ended []string, err error) {
	if err := ValidateRole(role); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(displayName) > 64 {
		return nil, fmt.Errorf("%w: display name: at most 64 characters", ErrInvalidUser)
	}
	err = WithTx(ctx, db, func(tx pgx.Tx) error {
		q := New(tx)
		u, err := q.dealerUser(ctx, dealerID, userID)
		if err != nil {
			return err
		}
		if u.DisplayName == displayName && u.Role == role {
			return nil
		}
		if _, err := q.UpdateUserProfile(ctx, UpdateUserProfileParams{DisplayName: displayName, Role: role, ID: userID, DealerID: dealerID}); err != nil {
			return err
		}
		if u.Role != role {
			if ended, err = q.DeleteUserConsoleSessions(ctx, userID); err != nil {
				return err
			}
		}
		return q.auditUser(ctx, dealerID, by, "user.update", userID, map[string]any{"username": u.Username,
			"display_name": []string{u.DisplayName, displayName}, "role": []string{u.Role, role}, "sessions_ended": len(ended)})
	})
	if err != nil {
		return nil, fmt.Errorf("update user %d: %w", userID, err)
	}
	return ended, nil
}
