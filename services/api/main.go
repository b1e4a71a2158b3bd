// Command api is Taskmesh's api service: accounts and sessions (AuthService), tasks
// (TaskService), tags (TagService) and TaskInternalService for the mesh, over Connect,
// gRPC and gRPC-Web on one port. Every change is written with its events to an outbox in
// the same transaction; with a Dapr sidecar, a relay publishes the outbox.
//
// Configuration comes from the environment (see pkg/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8081)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and events wait in the outbox
//	DATABASE_URL[_FILE]    PostgreSQL URL, else secret "database-url"
//	AUTH_SIGNING_KEY[_FILE] PEM Ed25519 private key signing access tokens, else secret
//	                       "auth-signing-key"
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	LOG_LEVEL              debug, info, warn or error (default info)
//	LOG_FORMAT             json or console (default json)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	apisql "github.com/taskmesh/taskmesh/sql/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// run starts the service and blocks until ctx ends, then shuts down gracefully: it stops
// taking requests and drains them, stops the outbox relay, then closes the database. When
// ready is not nil it receives the listening address once the service accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.API)
	if err != nil {
		return err
	}
	sc, err := sidecar.Connect(ctx, getenv, 30*time.Second)
	switch {
	case errors.Is(err, sidecar.ErrNotConfigured):
		log.Warn().Msg("no Dapr sidecar: running standalone, events wait in the outbox")
		sc = nil
	case err != nil:
		return err
	default:
		defer sc.Close()
	}
	dbURL, err := sidecar.Setting(ctx, getenv, sc, "DATABASE_URL", meshnames.DatabaseURLSecret)
	if err != nil {
		return err
	}
	keyPEM, err := sidecar.Setting(ctx, getenv, sc, "AUTH_SIGNING_KEY", meshnames.SigningKeySecret)
	if err != nil {
		return err
	}
	key, err := authn.LoadPrivateKey([]byte(keyPEM))
	if err != nil {
		return err
	}
	if err := pgschema.Migrate(ctx, dbURL, store.Schema, apisql.Migrations, "migrations"); err != nil {
		return err
	}
	pool, err := pgschema.Pool(ctx, dbURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close() // last: after the server and the relay have stopped

	// Sign-in attempts: 10 a minute per account, 30 a minute per address. With a sidecar
	// the counters live in the Dapr state store, shared by every api replica.
	limits := handler.Limiters{
		PerAccount: ratelimit.NewMemory(10, time.Minute),
		PerAddress: ratelimit.NewMemory(30, time.Minute),
	}
	if sc != nil {
		limits = handler.Limiters{
			PerAccount: ratelimit.NewState(sc.Client, meshnames.StateStore, "ratelimit:account:", 10, time.Minute),
			PerAddress: ratelimit.NewState(sc.Client, meshnames.StateStore, "ratelimit:address:", 30, time.Minute),
		}
	}
	st := store.New(pool)
	mux := handler.NewMux(handler.Deps{
		Store:     st,
		Tokens:    authn.NewIssuer(key, authn.Config{Issuer: orDefault(getenv("AUTH_ISSUER"), "taskmesh"), Audience: orDefault(getenv("AUTH_AUDIENCE"), "taskmesh")}),
		Passwords: password.NewHasher(password.OWASP, runtime.GOMAXPROCS(0)),
		Limits:    limits,
		Log:       log,
	})

	relayDone := make(chan struct{})
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer func() { stopRelay(); <-relayDone }()
	if sc != nil {
		app := daprapp.New(log, sc.Client, pool.Ping)
		defer app.Stop()
		// The reminder-cron binding fires on every replica; SweepReminders is safe to run
		// concurrently and catches up on whatever came due while nothing ran.
		app.HandleBinding(meshnames.ReminderCron, func(ctx context.Context, _ []byte, _ map[string]string) error {
			_, err := st.SweepReminders(ctx, time.Now())
			return err
		})
		app.Mount(mux)
		relay := outbox.NewRelay(pool, sc.Client, outbox.Config{Schema: store.Schema, PubSub: meshnames.PubSub}, log)
		go func() { defer close(relayDone); _ = relay.Run(relayCtx) }()
	} else {
		close(relayDone)
	}

	addr := orDefault(getenv("ADDR"), ":8081")
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, mux, log)
}
