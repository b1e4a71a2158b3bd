// Command api is Taskmesh's api service: accounts and sessions (AuthService), tasks
// (TaskService), tags (TagService) and TaskInternalService for the mesh, over Connect,
// gRPC and gRPC-Web on one port. Every change is written with its events to an outbox in
// the same transaction; with a Dapr sidecar, a relay publishes the outbox.
//
// Configuration comes from the environment (see pkg/dapr/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8081)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and events wait in the outbox
//	DATABASE_URL[_FILE]    PostgreSQL URL, else secret "database-url"
//	AUTH_SIGNING_KEY[_FILE] PEM Ed25519 private key signing access tokens, else secret
//	                       "auth-signing-key"
//	AUTH_VERIFY_KEY[_FILE] PEM Ed25519 public keys accepted besides the signing key's own
//	                       (the mesh's key set, for rotations), else secret "auth-verify-key"
//	SESSION_MAX_AGE        how long a sign-in lasts at most, however often it is refreshed
//	                       (a Go duration; default 2160h, 90 days)
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	LOG_LEVEL              debug, info, warn or error (default info)
//	LOG_FORMAT             json or console (default json)
//	MIGRATE_ONLY           true: apply the migrations, then exit (a Kubernetes Job)
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	apisql "github.com/taskmesh/taskmesh/sql/api"
)

func main() { startup.Main(meshnames.API, run) }

// run serves until ctx ends, then shuts down gracefully: it stops taking requests and
// drains them, stops the outbox relay and the Dapr callbacks, then closes the database.
// When ready is not nil it receives the listening address once the service accepts
// requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.API, getenv, stdout,
		startup.OptionalSidecar("running standalone, events wait in the outbox"))
	if err != nil {
		return err
	}
	defer svc.Close()
	// The api owns the sessions: it reads whether one ended from its own database (no
	// sidecar needed to verify a token), and writes sign-outs to the shared list too. st
	// is set below, before anything is served.
	var st *store.Store
	issuer, err := svc.Issuer(ctx, authn.IssuerRevocations{
		Shared:    svc.SharedRevocations(),
		IsRevoked: func(ctx context.Context, session uuid.UUID) (bool, error) { return st.SessionRevoked(ctx, session) },
	})
	if err != nil {
		return err
	}
	maxAge, err := sessionMaxAge(svc.Env("SESSION_MAX_AGE", ""))
	if err != nil {
		return err
	}
	pool, err := svc.Database(ctx, store.Schema, apisql.Migrations)
	if err != nil {
		return err
	}
	// Sign-ups: 30 a minute per address. Failed sign-ins slow down the next attempts
	// (handler.PerAddressBackoff and friends). With a sidecar the counters live in the
	// Dapr state store, shared by every api replica.
	limits := handler.Limiters{
		PerAddress: ratelimit.NewMemory(30, time.Minute),
		Failures:   ratelimit.NewMemoryCounter(handler.FailureQuiet),
		Known:      ratelimit.NewMemoryCounter(handler.KnownFor),
	}
	if svc.Sidecar != nil {
		st := svc.Sidecar.StateStore(meshnames.StateStore)
		limits = handler.Limiters{
			PerAddress: ratelimit.NewState(st, "ratelimit:address:", 30, time.Minute),
			Failures:   ratelimit.NewStateCounter(st, "signin:failures:", handler.FailureQuiet),
			Known:      ratelimit.NewStateCounter(st, "signin:known:", handler.KnownFor),
		}
	}
	st = store.New(pool).WithSessionMaxAge(maxAge)
	mux := handler.NewMux(handler.Deps{
		Store:     st,
		Tokens:    issuer,
		Passwords: password.NewHasher(password.OWASP, runtime.GOMAXPROCS(0)),
		Limits:    limits,
		AppToken:  svc.AppToken,
		Log:       svc.Log,
	})
	if app := svc.Dapr(mux, pool.Ping); app != nil {
		// The reminder-cron binding fires on every replica; SweepReminders is safe to run
		// concurrently and catches up on whatever came due while nothing ran.
		app.HandleBinding(meshnames.ReminderCron, func(ctx context.Context, _ []byte, _ map[string]string) error {
			_, err := st.SweepReminders(ctx, time.Now())
			return err
		})
	}
	svc.Relay(pool, store.Schema)
	return svc.Serve(ctx, mux, ":8081", ready)
}

// sessionMaxAge parses SESSION_MAX_AGE; empty means store.DefaultSessionMaxAge.
func sessionMaxAge(v string) (time.Duration, error) {
	if v == "" {
		return store.DefaultSessionMaxAge, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("SESSION_MAX_AGE %q: want a duration of at least 1h, such as 2160h (90 days)", v)
	}
	return d, nil
}
