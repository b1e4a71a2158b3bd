// Package handler implements the api service's Connect services on top of the store.
// Handlers take the user from the verified access token (authn.UserID), never from the
// request, and return apierr errors that the rpclog interceptor maps for the client.
package handler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
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

// Limiters rate-limit the credential endpoints.
type Limiters struct {
	// PerAccount limits sign-in attempts for one email.
	PerAccount ratelimit.Limiter
	// PerAddress limits sign-up and sign-in attempts from one client address.
	PerAddress ratelimit.Limiter
}

// AuthServer implements AuthService.
type AuthServer struct {
	store     *store.Store
	tokens    *authn.Issuer
	passwords *password.Hasher
	limits    Limiters
}

var _ authv1connect.AuthServiceHandler = (*AuthServer)(nil)

// NewAuthServer returns an AuthServer.
func NewAuthServer(st *store.Store, tokens *authn.Issuer, passwords *password.Hasher, limits Limiters) *AuthServer {
	return &AuthServer{store: st, tokens: tokens, passwords: passwords, limits: limits}
}

// SignUp implements AuthService.SignUp.
func (s *AuthServer) SignUp(ctx context.Context, req *connect.Request[authv1.SignUpRequest]) (*connect.Response[authv1.SignUpResponse], error) {
	if err := s.limit(ctx, s.limits.PerAddress, "signup:"+clientAddress(req.Peer(), req.Header())); err != nil {
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
	if err := s.limit(ctx, s.limits.PerAddress, "signin:"+clientAddress(req.Peer(), req.Header())); err != nil {
		return nil, err
	}
	if err := s.limit(ctx, s.limits.PerAccount, "signin:"+email); err != nil {
		return nil, err
	}
	wrong := apierr.Unauthenticated("wrong email or password")
	creds, err := s.store.UserCredentialsByEmail(ctx, email)
	var aerr *apierr.Error
	if errors.As(err, &aerr) && aerr.Code == connect.CodeNotFound {
		s.passwords.VerifyNothing(ctx, req.Msg.GetPassword()) // same time as a wrong password
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.passwords.Verify(ctx, req.Msg.GetPassword(), creds.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		return nil, wrong
	}
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

// clientAddress is the address rate limits count against. Calls that the web gateway
// forwarded through Dapr (the sidecar sets dapr-caller-app-id) come from the sidecar, so
// the client is the last X-Forwarded-For entry, the one the gateway appended; entries
// before it are the client's own claims and are ignored. Other calls count against the
// peer's IP.
func clientAddress(peer connect.Peer, h http.Header) string {
	if h.Get(server.CallerAppIDHeader) == meshnames.Web {
		if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
				return last
			}
		}
	}
	if host, _, err := net.SplitHostPort(peer.Addr); err == nil {
		return host
	}
	return peer.Addr
}
