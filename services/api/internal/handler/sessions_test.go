package handler_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
)

// revocationStore is an in-memory shared revocation list that can be taken down.
type revocationStore struct {
	*authn.MemoryRevocations
	down atomic.Bool
}

func (r *revocationStore) Revoke(ctx context.Context, id uuid.UUID, ttl time.Duration) error {
	if r.down.Load() {
		return errors.New("state store unreachable")
	}
	return r.MemoryRevocations.Revoke(ctx, id, ttl)
}

func (r *revocationStore) Revoked(ctx context.Context, id uuid.UUID) (bool, error) {
	if r.down.Load() {
		return false, errors.New("state store unreachable")
	}
	return r.MemoryRevocations.Revoked(ctx, id)
}

// withSessionMaxAge sets the store's absolute session limit.
func withSessionMaxAge(d time.Duration) envOption {
	return func(deps *handler.Deps) { deps.Store = deps.Store.WithSessionMaxAge(d) }
}

func TestSignOutEndsTheSessionsAccessTokensAtOnce(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			anon := e.anonymous(p)
			email := authEmail("signout-access")
			up := authSignUp(t, anon, email)
			userID := up.GetUser().GetId()
			other, err := authSignIn(anon, email, authTestPassword)
			if err != nil {
				t.Fatal(err)
			}
			refreshed, err := authRefresh(anon, up.GetSession().GetRefreshToken())
			if err != nil {
				t.Fatal(err)
			}
			authWantMe(t, e, p, refreshed.GetAccessToken(), userID)

			if _, err := anon.auth.SignOut(context.Background(), connect.NewRequest(&authv1.SignOutRequest{RefreshToken: refreshed.GetRefreshToken()})); err != nil {
				t.Fatalf("SignOut: %v", err)
			}
			// Both access tokens of the session, the first and the refreshed one.
			for name, tok := range map[string]string{"sign-up": up.GetSession().GetAccessToken(), "refreshed": refreshed.GetAccessToken()} {
				_, err := authGetMe(e, p, tok)
				rpctest.WantCode(t, err, connect.CodeUnauthenticated)
				var cerr *connect.Error
				if errors.As(err, &cerr) && cerr.Message() != authn.ErrSessionEnded.Error() {
					t.Errorf("%s access token after sign-out: message %q; want %q", name, cerr.Message(), authn.ErrSessionEnded)
				}
			}
			authWantMe(t, e, p, other.GetSession().GetAccessToken(), userID)
		})
	}
}

func TestRefreshTokenReuseEndsTheSessionsAccessTokens(t *testing.T) {
	e := newEnv(t)
	p := rpctest.Connect
	anon := e.anonymous(p)
	email := authEmail("reuse-access")
	up := authSignUp(t, anon, email)
	other, err := authSignIn(anon, email, authTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := authRefresh(anon, up.GetSession().GetRefreshToken())
	if err != nil {
		t.Fatal(err)
	}
	_, err = authRefresh(anon, up.GetSession().GetRefreshToken()) // the replay
	rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	_, err = authGetMe(e, p, s1.GetAccessToken())
	rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	authWantMe(t, e, p, other.GetSession().GetAccessToken(), up.GetUser().GetId())
}

func TestSignOutFailsClearlyWhenTheRevocationListIsDown(t *testing.T) {
	e := newEnv(t)
	p := rpctest.Connect
	anon := e.anonymous(p)
	up := authSignUp(t, anon, authEmail("signout-down"))
	signOut := func() error {
		_, err := anon.auth.SignOut(context.Background(), connect.NewRequest(&authv1.SignOutRequest{RefreshToken: up.GetSession().GetRefreshToken()}))
		return err
	}
	e.revocations.down.Store(true)
	rpctest.WantCode(t, signOut(), connect.CodeUnavailable)
	e.revocations.down.Store(false)
	if err := signOut(); err != nil {
		t.Fatalf("retried SignOut: %v", err)
	}
	_, err := authGetMe(e, p, up.GetSession().GetAccessToken())
	rpctest.WantCode(t, err, connect.CodeUnauthenticated)
}

// TestTheAPIChecksSessionsInItsOwnRecords: the api owns the sessions, so it verifies a
// token from its database even when the shared list (the Dapr state store) is down, and a
// session signed out while the list was down is refused by the api at once.
func TestTheAPIChecksSessionsInItsOwnRecords(t *testing.T) {
	e := newEnv(t)
	p := rpctest.Connect
	anon := e.anonymous(p)
	up := authSignUp(t, anon, authEmail("own-records"))
	e.revocations.down.Store(true)
	defer e.revocations.down.Store(false)
	authWantMe(t, e, p, up.GetSession().GetAccessToken(), up.GetUser().GetId())
	_, err := anon.auth.SignOut(context.Background(), connect.NewRequest(&authv1.SignOutRequest{RefreshToken: up.GetSession().GetRefreshToken()}))
	rpctest.WantCode(t, err, connect.CodeUnavailable) // the other services were not told: retry
	// The api's own check sees the sign-out once its cached answer (from the GetMe above)
	// runs out.
	deadline := time.Now().Add(authn.DefaultRevocationCache + 2*time.Second)
	for {
		_, err = authGetMe(e, p, up.GetSession().GetAccessToken())
		if connect.CodeOf(err) == connect.CodeUnauthenticated {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetMe after the sign-out: %v; want Unauthenticated within %s", err, authn.DefaultRevocationCache)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSessionsHaveAnAbsoluteLimit(t *testing.T) {
	ctx := context.Background()
	p := rpctest.Connect

	t.Run("refresh slides the token, never past the session's end", func(t *testing.T) {
		e := newEnv(t)
		anon := e.anonymous(p)
		up := authSignUp(t, anon, authEmail("maxage"))
		var end time.Time
		if err := e.pool.QueryRow(ctx, `SELECT session_expires_at FROM refresh_tokens WHERE token_hash = $1`,
			authTokenHash(up.GetSession().GetRefreshToken())).Scan(&end); err != nil {
			t.Fatal(err)
		}
		if want := time.Now().Add(90 * 24 * time.Hour); end.Before(want.Add(-time.Hour)) || end.After(want.Add(time.Hour)) {
			t.Fatalf("a sign-up's session ends at %v; want 90 days from now", end)
		}
		// The session is 89 days and 23 hours old: one hour left.
		if _, err := e.pool.Exec(ctx, `UPDATE refresh_tokens SET session_expires_at = now() + interval '1 hour' WHERE token_hash = $1`,
			authTokenHash(up.GetSession().GetRefreshToken())); err != nil {
			t.Fatal(err)
		}
		next, err := authRefresh(anon, up.GetSession().GetRefreshToken())
		if err != nil {
			t.Fatal(err)
		}
		if exp := next.GetRefreshTokenExpiresAt().AsTime(); exp.After(time.Now().Add(time.Hour)) {
			t.Fatalf("refreshed token expires at %v; want no later than the session's end, in an hour", exp)
		}
		// The session's end has passed, though the token itself has not expired.
		if _, err := e.pool.Exec(ctx, `UPDATE refresh_tokens SET session_expires_at = now() - interval '1 second',
			expires_at = now() + interval '1 day' WHERE token_hash = $1`, authTokenHash(next.GetRefreshToken())); err != nil {
			t.Fatal(err)
		}
		_, err = authRefresh(anon, next.GetRefreshToken())
		rpctest.WantCode(t, err, connect.CodeUnauthenticated)
	})

	t.Run("the limit is configurable", func(t *testing.T) {
		e := newEnv(t, withSessionMaxAge(2*time.Hour))
		anon := e.anonymous(p)
		up := authSignUp(t, anon, authEmail("maxage-2h"))
		if exp := up.GetSession().GetRefreshTokenExpiresAt().AsTime(); exp.After(time.Now().Add(2 * time.Hour)) {
			t.Fatalf("with a 2h limit, the first refresh token expires at %v; want within 2h", exp)
		}
		next, err := authRefresh(anon, up.GetSession().GetRefreshToken())
		if err != nil {
			t.Fatal(err)
		}
		if exp := next.GetRefreshTokenExpiresAt().AsTime(); exp.After(up.GetSession().GetRefreshTokenExpiresAt().AsTime()) {
			t.Fatalf("refresh moved the end from %v to %v; the limit counts from the sign-in", up.GetSession().GetRefreshTokenExpiresAt().AsTime(), exp)
		}
	})
}
