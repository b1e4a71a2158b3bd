// Package handler implements the api service's Connect services on top of the store.
// Handlers take the user from the verified access token (authn.UserID), never from the
// request, and return apierr errors that the rpclog interceptor maps for the client.
package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/clientaddr"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
)

// PublicProcedures are the api procedures callable without an access token.
var PublicProcedures = map[string]bool{
	authv1connect.AuthServiceSignUpProcedure:  true,
	authv1connect.AuthServiceSignInProcedure:  true,
	authv1connect.AuthServiceRefreshProcedure: true,
	authv1connect.AuthServiceSignOutProcedure: true,
}

// Limiters hold the counters that slow down password guessing (see SignIn and
// docs/authentication.md).
type Limiters struct {
	// PerAddress limits sign-ups from one client address.
	PerAddress ratelimit.Limiter
	// Failures counts failed sign-ins, under keys per address, per account and address,
	// and per account; a count fades once no failure has come for a while (FailureQuiet).
	Failures ratelimit.Counter
	// Known remembers, per account and address, a successful sign-in (KnownFor).
	Known ratelimit.Counter
}

// How failed sign-ins slow down the next attempts. Every policy only delays (the wait is
// never longer than its Max after the last failure) and a refused attempt is not counted,
// so nobody can be locked out for good. See docs/authentication.md.
var (
	// PerAddressBackoff: one address guessing at any accounts (credential stuffing,
	// password spraying).
	PerAddressBackoff = ratelimit.Backoff{Free: 10, Base: time.Second, Max: 30 * time.Second}
	// PerPairBackoff: one address guessing one account's password.
	PerPairBackoff = ratelimit.Backoff{Free: 5, Base: time.Second, Max: 30 * time.Second}
	// PerAccountBackoff: one account guessed at from many addresses (a botnet). It
	// applies only to addresses that have not signed in to the account recently, so the
	// owner, signing in from where they usually do, is never slowed by an attacker.
	PerAccountBackoff = ratelimit.Backoff{Free: 20, Base: time.Second, Max: 30 * time.Second}
)

const (
	// FailureQuiet is how long after the last failure a failure count is forgotten.
	FailureQuiet = 15 * time.Minute
	// KnownFor is how long a successful sign-in makes its address known to the account.
	KnownFor = 30 * 24 * time.Hour
)

// AuthServer implements AuthService.
type AuthServer struct {
	store     *store.Store
	tokens    *authn.Issuer
	passwords *password.Hasher
	limits    Limiters
	appToken  apptoken.Token
	now       func() time.Time
}

var _ authv1connect.AuthServiceHandler = (*AuthServer)(nil)

// NewAuthServer returns an AuthServer. appToken is the app API token, which tells the
// gateway's calls through the api's own sidecar (and the client address they carry)
// from anyone else's.
func NewAuthServer(st *store.Store, tokens *authn.Issuer, passwords *password.Hasher, limits Limiters, appToken apptoken.Token) *AuthServer {
	return &AuthServer{store: st, tokens: tokens, passwords: passwords, limits: limits, appToken: appToken, now: time.Now}
}

// SignUp implements AuthService.SignUp.
func (s *AuthServer) SignUp(ctx context.Context, req *connect.Request[authv1.SignUpRequest]) (*connect.Response[authv1.SignUpResponse], error) {
	if err := s.limit(ctx, s.limits.PerAddress, "signup:"+s.clientAddress(req.Peer(), req.Header())); err != nil {
		return nil, err
	}
	m := req.Msg
	tz := m.GetTimeZone()
	if tz == "" {
		tz = "UTC"
	}
	if err := checkTimeZone("time_zone", tz); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(m.GetDisplayName())
	if name == "" {
		name, _, _ = strings.Cut(m.GetEmail(), "@")
	}
	hash, err := s.passwords.Hash(ctx, m.GetPassword())
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	user, err := s.store.CreateUser(ctx, store.NewUser{Email: m.GetEmail(), PasswordHash: hash, DisplayName: name, TimeZone: tz})
	if err != nil {
		return nil, err
	}
	session, err := s.newSession(ctx, uuid.MustParse(user.GetId()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.SignUpResponse{User: user, Session: session}), nil
}

// SignIn implements AuthService.SignIn.
func (s *AuthServer) SignIn(ctx context.Context, req *connect.Request[authv1.SignInRequest]) (*connect.Response[authv1.SignInResponse], error) {
	email := strings.ToLower(strings.TrimSpace(req.Msg.GetEmail()))
	keys := signInKeys(email, s.clientAddress(req.Peer(), req.Header()))
	if err := s.signInDelay(ctx, keys); err != nil {
		return nil, err
	}
	wrong := apierr.Unauthenticated("wrong email or password")
	creds, err := s.store.UserCredentialsByEmail(ctx, email)
	var aerr *apierr.Error
	if errors.As(err, &aerr) && aerr.Code == connect.CodeNotFound {
		s.passwords.VerifyNothing(ctx, req.Msg.GetPassword()) // same time as a wrong password
		return nil, s.signInFailed(ctx, keys, wrong)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.passwords.Verify(ctx, req.Msg.GetPassword(), creds.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		return nil, s.signInFailed(ctx, keys, wrong)
	}
	s.signedIn(ctx, keys)
	session, err := s.newSession(ctx, uuid.MustParse(creds.User.GetId()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.SignInResponse{User: creds.User, Session: session}), nil
}

// Refresh implements AuthService.Refresh. A refresh token that was already used ends its
// whole session, access tokens included.
func (s *AuthServer) Refresh(ctx context.Context, req *connect.Request[authv1.RefreshRequest]) (*connect.Response[authv1.RefreshResponse], error) {
	rot, err := s.store.RotateRefreshToken(ctx, req.Msg.GetRefreshToken())
	if rot.Ended != uuid.Nil {
		if rerr := s.tokens.EndSession(ctx, rot.Ended); rerr != nil {
			// The refresh tokens are revoked (committed); the access tokens live on until
			// they expire. The next replay of the stolen token retries this.
			zerolog.Ctx(ctx).Error().Err(rerr).Str("session_id", rot.Ended.String()).Msg("reused refresh token: cannot revoke the session's access tokens")
		}
	}
	if err != nil {
		return nil, err
	}
	next := rot.Next
	access, exp, err := s.tokens.IssueSession(next.UserID, next.SessionID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.RefreshResponse{Session: &authv1.Session{
		AccessToken: access, AccessTokenExpiresAt: timestamppb.New(exp),
		RefreshToken: next.Token, RefreshTokenExpiresAt: timestamppb.New(next.ExpiresAt),
	}}), nil
}

// SignOut implements AuthService.SignOut: the session's refresh tokens are revoked and
// its access tokens put on the revocation list, which every service checks (within
// authn.DefaultRevocationCache). When the list cannot be written the call fails
// (Unavailable) and can be retried: the session must not look ended when it is not.
func (s *AuthServer) SignOut(ctx context.Context, req *connect.Request[authv1.SignOutRequest]) (*connect.Response[authv1.SignOutResponse], error) {
	session, found, err := s.store.RevokeRefreshToken(ctx, req.Msg.GetRefreshToken())
	if err != nil {
		return nil, err
	}
	if found {
		if err := s.tokens.EndSession(ctx, session); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Str("session_id", session.String()).Msg("sign-out: cannot revoke the session's access tokens")
			return nil, connect.NewError(connect.CodeUnavailable, errors.New("could not end the session everywhere; try signing out again"))
		}
	}
	return connect.NewResponse(&authv1.SignOutResponse{}), nil
}

// GetMe implements AuthService.GetMe.
func (s *AuthServer) GetMe(ctx context.Context, _ *connect.Request[authv1.GetMeRequest]) (*connect.Response[authv1.GetMeResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	user, err := s.store.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.GetMeResponse{User: user}), nil
}

// UpdateProfile implements AuthService.UpdateProfile.
func (s *AuthServer) UpdateProfile(ctx context.Context, req *connect.Request[authv1.UpdateProfileRequest]) (*connect.Response[authv1.UpdateProfileResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	if m.TimeZone != nil {
		if err := checkTimeZone("time_zone", m.GetTimeZone()); err != nil {
			return nil, err
		}
	}
	var name *string
	if m.DisplayName != nil {
		trimmed := strings.TrimSpace(m.GetDisplayName())
		if trimmed == "" {
			return nil, apierr.Invalid("display_name", "display_name.not_blank", "display name must not be blank")
		}
		name = &trimmed
	}
	user, err := s.store.UpdateProfile(ctx, userID, name, m.TimeZone)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.UpdateProfileResponse{User: user}), nil
}

// newSession starts a sign-in: a refresh-token family, whose id the access token carries.
func (s *AuthServer) newSession(ctx context.Context, userID uuid.UUID) (*authv1.Session, error) {
	refresh, err := s.store.CreateRefreshToken(ctx, userID)
	if err != nil {
		return nil, err
	}
	access, exp, err := s.tokens.IssueSession(userID, refresh.SessionID)
	if err != nil {
		return nil, err
	}
	return &authv1.Session{
		AccessToken: access, AccessTokenExpiresAt: timestamppb.New(exp),
		RefreshToken: refresh.Token, RefreshTokenExpiresAt: timestamppb.New(refresh.ExpiresAt),
	}, nil
}

// signInKeyset are the counter keys of one sign-in attempt.
type signInKeyset struct {
	address, pair, account string
}

func signInKeys(email, address string) signInKeyset {
	return signInKeyset{
		address: "address:" + address,
		pair:    "pair:" + email + "|" + address,
		account: "account:" + email,
	}
}

// signInDelay refuses an attempt that comes before its delay has passed: ResourceExhausted
// with the delay as RetryInfo (nothing sleeps here, the client waits). The per-account
// delay counts only for addresses the account has not recently signed in from. A refused
// attempt is not counted, so the wait is never longer than a policy's Max.
func (s *AuthServer) signInDelay(ctx context.Context, k signInKeyset) error {
	now := s.now()
	var wait time.Duration
	for _, c := range []struct {
		key string
		b   ratelimit.Backoff
	}{{k.address, PerAddressBackoff}, {k.pair, PerPairBackoff}} {
		rec, err := s.limits.Failures.Get(ctx, c.key)
		if err != nil {
			return limiterDown(ctx, err)
		}
		wait = max(wait, c.b.Wait(rec, now))
	}
	known, err := s.limits.Known.Get(ctx, k.pair)
	if err != nil {
		return limiterDown(ctx, err)
	}
	if known.N == 0 {
		rec, err := s.limits.Failures.Get(ctx, k.account)
		if err != nil {
			return limiterDown(ctx, err)
		}
		wait = max(wait, PerAccountBackoff.Wait(rec, now))
	}
	if wait > 0 {
		return retryLater(wait)
	}
	return nil
}

// signInFailed counts a failed attempt against the address, the pair and the account,
// and returns wrong (the client's answer).
func (s *AuthServer) signInFailed(ctx context.Context, k signInKeyset, wrong error) error {
	for _, key := range []string{k.address, k.pair, k.account} {
		if _, err := s.limits.Failures.Add(ctx, key); err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("counting a failed sign-in")
		}
	}
	return wrong
}

// signedIn forgets the pair's failures (the owner's typos) and marks the address as
// known to the account. The address and account counts are left to fade on their own:
// an attacker who signs in to an account of their own now and then must not reset them.
func (s *AuthServer) signedIn(ctx context.Context, k signInKeyset) {
	if err := s.limits.Failures.Reset(ctx, k.pair); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("forgetting sign-in failures")
	}
	if _, err := s.limits.Known.Add(ctx, k.pair); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Msg("remembering a known address")
	}
}

func limiterDown(ctx context.Context, err error) error {
	// The limiter's store is down: fail closed on credentials, but say why in the log.
	zerolog.Ctx(ctx).Error().Err(err).Msg("rate limiter unavailable")
	return apierr.ResourceExhausted("too many attempts; try again shortly")
}

// retryLater is ResourceExhausted saying when to try again, in the message and as
// google.rpc.RetryInfo (which clients can read without parsing text).
func retryLater(wait time.Duration) error {
	wait = (wait + time.Second - 1).Truncate(time.Second) // whole seconds, rounded up
	cerr := connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("too many failed attempts; try again in %s", wait))
	if d, err := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
		cerr.AddDetail(d)
	}
	return cerr
}

func (s *AuthServer) limit(ctx context.Context, l ratelimit.Limiter, key string) error {
	ok, retry, err := l.Allow(ctx, key)
	if err != nil {
		// The limiter's store is down: fail closed on credentials, but say why in the log.
		zerolog.Ctx(ctx).Error().Err(err).Msg("rate limiter unavailable")
		return apierr.ResourceExhausted("too many attempts; try again shortly")
	}
	if !ok {
		return apierr.ResourceExhausted(fmt.Sprintf("too many attempts; try again in %s", retry.Round(time.Second)))
	}
	return nil
}

// checkTimeZone accepts IANA zone names only ("Local" and "" are not zones).
func checkTimeZone(field, tz string) error {
	if tz == "Local" || tz == "" {
		return apierr.Invalid(field, "time_zone.iana", "must be an IANA time zone such as Europe/Paris")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return apierr.Invalid(field, "time_zone.iana", fmt.Sprintf("unknown time zone %q: use an IANA name such as Europe/Paris", tz))
	}
	return nil
}

// clientAddress is the address rate limits count against: the address the gateway
// found (clientaddr.Header) on calls that come from the gateway through the api's own
// sidecar, which only those carrying the app API token do (daprd names the caller in the
// last dapr-caller-app-id value); the peer's address on any other call, whatever
// headers it sends.
func (s *AuthServer) clientAddress(peer connect.Peer, h http.Header) string {
	if s.appToken.MatchesHeader(h) && apptoken.Last(h, server.CallerAppIDHeader) == meshnames.Web {
		if a, err := netip.ParseAddr(strings.TrimSpace(h.Get(clientaddr.Header))); err == nil {
			return a.Unmap().String()
		}
	}
	return clientaddr.Host(peer.Addr)
}
