// Command notification is Taskmesh's notification service: it turns the ReminderEvents of
// topic reminders into notifications in each user's inbox (only for tasks that are still
// pending, asking the api through the mesh), announces each new one to the user's open
// pages on topic task-updates through its outbox, and serves the inbox
// (NotificationService) over Connect, gRPC and gRPC-Web on one port. Without a Dapr
// sidecar the service still serves the inbox, but consumes and publishes nothing.
//
// Configuration comes from the environment (see pkg/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8083)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and consumes no reminders
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

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshclient"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/notification/internal/handler"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
	notificationsql "github.com/taskmesh/taskmesh/sql/notification"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "notification:", err)
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
// taking requests and reminder deliveries and drains them, stops the outbox relay and the
// Dapr callbacks, then closes the database. When ready is not nil it receives the
// listening address once the service accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.Notification)
	if err != nil {
		return err
	}
	sc, err := sidecar.Connect(ctx, getenv, 30*time.Second)
	switch {
	case errors.Is(err, sidecar.ErrNotConfigured):
		log.Warn().Msg("no Dapr sidecar: serving the inbox standalone, no reminders are consumed")
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
	if err := pgschema.Migrate(ctx, dbURL, store.Schema, notificationsql.Migrations, "migrations"); err != nil {
		return err
	}
	pool, err := pgschema.Pool(ctx, dbURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close() // last: after the server, the Dapr callbacks and the relay have stopped

	st := store.New(pool)
	mux := handler.NewMux(handler.Deps{
		Store: st,
		Verifier: authn.NewVerifier(key, authn.Config{
			Issuer:   orDefault(getenv("AUTH_ISSUER"), "taskmesh"),
			Audience: orDefault(getenv("AUTH_AUDIENCE"), "taskmesh"),
		}),
		Log: log,
	})

	// Deferred calls run last first: the server drains (Serve returns), then the relay
	// stops, then the Dapr callbacks, then the pool closes.
	relayDone := make(chan struct{})
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	if sc != nil {
		app := daprapp.New(log, sc.Client, pool.Ping)
		defer app.Stop()
		tasks := handler.MeshTasks{Client: meshclient.Client(sc.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient)}
		handler.NewConsumer(st, tasks).Register(app)
		app.Mount(mux)
		relay := outbox.NewRelay(pool, sc.Client, outbox.Config{Schema: store.Schema, PubSub: meshnames.PubSub}, log)
		go func() { defer close(relayDone); _ = relay.Run(relayCtx) }()
	} else {
		close(relayDone)
	}
	defer func() { stopRelay(); <-relayDone }()

	addr := orDefault(getenv("ADDR"), ":8083")
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, mux, log)
}
