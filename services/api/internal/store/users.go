package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// RefreshTTL is how long a refresh token is accepted: each refresh slides the session
// this far, up to its absolute limit (SessionLifetime.MaxAge).
const RefreshTTL = 30 * 24 * time.Hour

// DefaultSessionMaxAge is how long a sign-in lasts at most, however often it is
// refreshed (OWASP ASVS 5.0 7.3.2: an absolute session lifetime).
const DefaultSessionMaxAge = 90 * 24 * time.Hour

// NewUser is what sign-up stores.
type NewUser struct {
	Email, PasswordHash, DisplayName, TimeZone string
}

// UserCredentials are what sign-in checks.
type UserCredentials struct {
	User         *authv1.User
	PasswordHash string
}

// RefreshToken is a freshly minted opaque refresh token and its expiry.
type RefreshToken struct {
	Token     string
	ExpiresAt time.Time
	// SessionID identifies the sign-in (the token's family); access tokens carry it.
	SessionID uuid.UUID
	UserID    uuid.UUID
}

// CreateUser stores a new user. A taken email answers AlreadyExists.
func (s *Store) CreateUser(ctx context.Context, u NewUser) (*authv1.User, error) {
	row, err := s.q.UserCreate(ctx, apidb.UserCreateParams{
		ID: uuid.Must(uuid.NewV7()), Email: u.Email, PasswordHash: u.PasswordHash,
		DisplayName: u.DisplayName, TimeZone: u.TimeZone,
	})
	if pgerr.IsUniqueViolation(err, "users_email_key") {
		return nil, apierr.AlreadyExists("an account with this email already exists")
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return userToProto(row), nil
}

// UserCredentialsByEmail returns the user with email (any case) and its password hash;
// NotFound when there is none.
func (s *Store) UserCredentialsByEmail(ctx context.Context, email string) (UserCredentials, error) {
	row, err := s.q.UserGetByEmail(ctx, email)
	if pgerr.IsNoRows(err) {
		return UserCredentials{}, apierr.NotFound("user")
	}
	if err != nil {
		return UserCredentials{}, fmt.Errorf("get user by email: %w", err)
	}
	return UserCredentials{User: userToProto(row), PasswordHash: row.PasswordHash}, nil
}

// User returns the user with id; NotFound when there is none.
func (s *Store) User(ctx context.Context, id uuid.UUID) (*authv1.User, error) {
	row, err := s.q.UserGet(ctx, id)
	if pgerr.IsNoRows(err) {
		return nil, apierr.NotFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return userToProto(row), nil
}

// UpdateProfile sets the non-nil fields of the user's profile. A new time zone also moves
// the deadline of the user's all-day tasks to the end of their day in that zone.
func (s *Store) UpdateProfile(ctx context.Context, id uuid.UUID, displayName, timeZone *string) (*authv1.User, error) {
	var out *authv1.User
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		row, err := q.UserUpdateProfile(ctx, apidb.UserUpdateProfileParams{ID: id, DisplayName: displayName, TimeZone: timeZone})
		if pgerr.IsNoRows(err) {
			return apierr.NotFound("user")
		}
		if err != nil {
			return fmt.Errorf("update profile of %s: %w", id, err)
		}
		if timeZone != nil {
			if err := moveAllDayTasks(ctx, q, id, *timeZone); err != nil {
				return err
			}
		}
		out = userToProto(row)
		return nil
	})
	return out, err
}

// WithSessionMaxAge sets how long a sign-in lasts at most (DefaultSessionMaxAge unless
// set); call it before the Store is used.
func (s *Store) WithSessionMaxAge(maxAge time.Duration) *Store {
	s.sessionMaxAge = maxAge
	return s
}

// CreateRefreshToken mints a refresh token for userID, starting a new family (a sign-in)
// that ends at the latest SessionMaxAge from now.
func (s *Store) CreateRefreshToken(ctx context.Context, userID uuid.UUID) (RefreshToken, error) {
	return s.insertRefreshToken(ctx, s.q, userID, uuid.Must(uuid.NewV7()), s.now().Add(s.sessionMaxAge).Truncate(time.Microsecond))
}

// Rotation is the outcome of RotateRefreshToken.
type Rotation struct {
	// Next is the successor token (zero when the rotation failed).
	Next RefreshToken
	// Ended is the session the call ended, when the token had already been rotated (a
	// sign of theft); uuid.Nil otherwise. Its access tokens must be revoked too.
	Ended uuid.UUID
}

// RotateRefreshToken retires token and mints its successor in the same family. The
// successor expires RefreshTTL from now, but never after the family's absolute end. An
// unknown, expired or revoked token, or one of a session past its absolute end, answers
// Unauthenticated. A token that was already rotated is a sign of theft: the whole family
// is revoked (committed), Rotation.Ended names it, and the call answers Unauthenticated.
func (s *Store) RotateRefreshToken(ctx context.Context, token string) (Rotation, error) {
	var (
		next    RefreshToken
		ended   uuid.UUID
		invalid = apierr.Unauthenticated("refresh token is invalid or expired; sign in again")
	)
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		row, err := q.RefreshTokenGetForUpdate(ctx, hashToken(token))
		if pgerr.IsNoRows(err) {
			return invalid
		}
		if err != nil {
			return fmt.Errorf("get refresh token: %w", err)
		}
		now := s.now()
		if row.RevokedAt != nil || !now.Before(row.ExpiresAt) || !now.Before(row.SessionExpiresAt) {
			return invalid
		}
		if row.ReplacedAt != nil {
			if err := q.RefreshTokenRevokeFamily(ctx, row.FamilyID); err != nil {
				return fmt.Errorf("revoke refresh token family: %w", err)
			}
			ended = row.FamilyID
			return nil // commit the revocation
		}
		if err := q.RefreshTokenMarkReplaced(ctx, row.ID); err != nil {
			return fmt.Errorf("retire refresh token: %w", err)
		}
		next, err = s.insertRefreshToken(ctx, q, row.UserID, row.FamilyID, row.SessionExpiresAt)
		return err
	})
	if err != nil {
		return Rotation{}, err
	}
	if ended != uuid.Nil {
		return Rotation{Ended: ended}, apierr.Unauthenticated("refresh token was already used; every session of that sign-in is revoked, sign in again")
	}
	return Rotation{Next: next}, nil
}

// RevokeRefreshToken revokes the family of token and returns it (the session id); found
// is false for an unknown token, which is ignored. Revoking a revoked family again
// returns it again, so that a sign-out can be retried.
func (s *Store) RevokeRefreshToken(ctx context.Context, token string) (session uuid.UUID, found bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		row, err := q.RefreshTokenGetForUpdate(ctx, hashToken(token))
		if pgerr.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get refresh token: %w", err)
		}
		if err := q.RefreshTokenRevokeFamily(ctx, row.FamilyID); err != nil {
			return fmt.Errorf("revoke refresh token family: %w", err)
		}
		session, found = row.FamilyID, true
		return nil
	})
	return session, found, err
}

// insertRefreshToken mints a token of family familyID, expiring RefreshTTL from now but
// not after sessionEnd.
func (s *Store) insertRefreshToken(ctx context.Context, q *apidb.Queries, userID, familyID uuid.UUID, sessionEnd time.Time) (RefreshToken, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return RefreshToken{}, fmt.Errorf("refresh token: %w", err)
	}
	exp := s.now().Add(RefreshTTL).Truncate(time.Microsecond)
	if sessionEnd.Before(exp) {
		exp = sessionEnd
	}
	tok := RefreshToken{Token: base64.RawURLEncoding.EncodeToString(raw), ExpiresAt: exp, SessionID: familyID, UserID: userID}
	err := q.RefreshTokenCreate(ctx, apidb.RefreshTokenCreateParams{
		ID: uuid.Must(uuid.NewV7()), UserID: userID, FamilyID: familyID,
		TokenHash: hashToken(tok.Token), ExpiresAt: tok.ExpiresAt, SessionExpiresAt: sessionEnd,
	})
	if err != nil {
		return RefreshToken{}, fmt.Errorf("store refresh token: %w", err)
	}
	return tok, nil
}

// hashToken is how refresh tokens are stored: a 256-bit random token needs no salt or
// slow hash, only a one-way function so that a database leak reveals no usable token.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func userToProto(u apidb.User) *authv1.User {
	return &authv1.User{
		Id: u.ID.String(), Email: u.Email, DisplayName: u.DisplayName,
		TimeZone: u.TimeZone, CreatedAt: timestamppb.New(u.CreatedAt),
	}
}

// ChangeSeq returns the user's latest change sequence number; 0 for an unknown user.
func (s *Store) ChangeSeq(ctx context.Context, userID uuid.UUID) (int64, error) {
	seq, err := s.q.UserChangeSeq(ctx, userID)
	if pgerr.IsNoRows(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("change seq of %s: %w", userID, err)
	}
	return seq, nil
}

// moveAllDayTasks recomputes, for a new time zone, the deadline of each all-day task (the
// end of its day) and its unfired relative reminders (counting back from 09:00 that day).
func moveAllDayTasks(ctx context.Context, q *apidb.Queries, userID uuid.UUID, timeZone string) error {
	loc, err := loadZone(timeZone)
	if err != nil {
		return fmt.Errorf("load time zone %q: %w", timeZone, err)
	}
	rows, err := q.TaskAllDayDates(ctx, userID)
	if err != nil {
		return fmt.Errorf("list all-day tasks of %s: %w", userID, err)
	}
	if len(rows) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(rows))
	deadlines := make([]time.Time, len(rows))
	anchors := make([]time.Time, len(rows))
	for i, r := range rows {
		y, m, d := r.DueDate.Time.Date()
		ids[i] = r.ID
		deadlines[i] = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		anchors[i] = time.Date(y, m, d, taskrules.AllDayReminderHour, 0, 0, 0, loc)
	}
	if err := q.TaskSetDeadlines(ctx, apidb.TaskSetDeadlinesParams{UserID: userID, Ids: ids, DueAts: deadlines}); err != nil {
		return fmt.Errorf("move all-day deadlines of %s: %w", userID, err)
	}
	if err := q.ReminderShiftRelative(ctx, apidb.ReminderShiftRelativeParams{UserID: userID, TaskIds: ids, Anchors: anchors}); err != nil {
		return fmt.Errorf("move all-day reminders of %s: %w", userID, err)
	}
	return nil
}

// SessionRevoked reports whether session (a refresh-token family) was signed out or
// revoked: the authority the api's own token checks read (authn.IssuerRevocations).
func (s *Store) SessionRevoked(ctx context.Context, session uuid.UUID) (bool, error) {
	return s.q.SessionRevoked(ctx, session)
}
