// Command audit is Taskmesh's audit service: it records every TaskEvent of topic
// task-events in an activity log (one entry per event, however often it is delivered),
// with the task before and after, and serves each user their own log (AuditService) over
// Connect, gRPC and gRPC-Web on one port. Events arrive through the Dapr sidecar; without
// one the service still serves the log, but records nothing new.
//
// Configuration comes from the environment (see pkg/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8084)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and consumes no events
//	DATABASE_URL[_FILE]    PostgreSQL URL, else secret "database-url"
//	AUTH_VERIFY_KEY[_FILE] PEM Ed25519 key checking access tokens: the public key, or the
//	                       api's private signing key; else secret "auth-verify-key"
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
	"syscall"
	"time"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/audit/internal/handler"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
	auditsql "github.com/taskmesh/taskmesh/sql/audit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "audit:", err)
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
// taking requests and event deliveries and drains them, stops the Dapr callbacks, then
// closes the database. When ready is not nil it receives the listening address once the
// service accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.Audit)
	if err != nil {
		return err
	}
	sc, err := sidecar.Connect(ctx, getenv, 30*time.Second)
	switch {
	case errors.Is(err, sidecar.ErrNotConfigured):
		log.Warn().Msg("no Dapr sidecar: serving the audit log standalone, no events are consumed")
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
	keyPEM, err := sidecar.Setting(ctx, getenv, sc, "AUTH_VERIFY_KEY", meshnames.VerifyKeySecret)
	if err != nil {
		return err
	}
	key, err := authn.LoadPublicKey([]byte(keyPEM))
	if err != nil {
		return fmt.Errorf("AUTH_VERIFY_KEY: %w", err)
	}
	if err := pgschema.Migrate(ctx, dbURL, store.Schema, auditsql.Migrations, "migrations"); err != nil {
		return err
	}
	pool, err := pgschema.Pool(ctx, dbURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close() // last: after the server and the Dapr callbacks have stopped

	st := store.New(pool)
	mux := handler.NewMux(handler.Deps{
		Store: st,
		Verifier: authn.NewVerifier(key, authn.Config{
			Issuer:   orDefault(getenv("AUTH_ISSUER"), "taskmesh"),
			Audience: orDefault(getenv("AUTH_AUDIENCE"), "taskmesh"),
		}),
		Log: log,
	})
	if sc != nil {
		app := daprapp.New(log, sc.Client, pool.Ping)
		defer app.Stop() // after Serve has drained, before the pool closes
		handler.NewConsumer(st).Register(app)
		app.Mount(mux)
	}

	addr := orDefault(getenv("ADDR"), ":8084")
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, mux, log)
}
