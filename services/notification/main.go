// Command notification is Taskmesh's notification service: it turns the ReminderEvents of
// topic reminders into notifications in each user's inbox (only for tasks that are still
// pending, asking the api through the mesh), announces each new one to the user's open
// pages on topic task-updates through its outbox, and serves the inbox
// (NotificationService) over Connect, gRPC and gRPC-Web on one port. Without a Dapr
// sidecar the service still serves the inbox, but consumes and publishes nothing.
//
// Configuration comes from the environment (see pkg/dapr/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8083)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and consumes no reminders
//	DATABASE_URL[_FILE]    PostgreSQL URL, else secret "database-url"
//	AUTH_VERIFY_KEY[_FILE] PEM Ed25519 public keys checking access tokens (the key set; a
//	                       private key is refused), else secret "auth-verify-key"
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	LOG_LEVEL              debug, info, warn or error (default info)
//	LOG_FORMAT             json or console (default json)
//	MIGRATE_ONLY           true: apply the migrations, then exit (a Kubernetes Job)
package main

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/notification/internal/handler"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
	notificationsql "github.com/taskmesh/taskmesh/sql/notification"
)

func main() { startup.Main(meshnames.Notification, run) }

// run serves until ctx ends, then shuts down gracefully: it stops taking requests and
// reminder deliveries and drains them, stops the outbox relay and the Dapr callbacks,
// then closes the database. When ready is not nil it receives the listening address once
// the service accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.Notification, getenv, stdout,
		startup.OptionalSidecar("serving the inbox standalone, no reminders are consumed"))
	if err != nil {
		return err
	}
	defer svc.Close()
	verifier, err := svc.Verifier(ctx)
	if err != nil {
		return err
	}
	pool, err := svc.Database(ctx, store.Schema, notificationsql.Migrations)
	if err != nil {
		return err
	}
	st := store.New(pool)
	mux := server.UserServiceMux[notificationv1connect.NotificationServiceHandler](svc.Log, verifier, notificationv1connect.NotificationServiceName,
		notificationv1connect.NewNotificationServiceHandler, handler.NewNotificationServer(st))
	if app := svc.Dapr(mux, pool.Ping); app != nil {
		tasks := handler.MeshTasks{Client: invoke.Client(svc.Sidecar.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient)}
		handler.NewConsumer(st, tasks).Register(app)
	}
	svc.Relay(pool, store.Schema)
	svc.Every(time.Hour, "purging the event ledger", func(ctx context.Context) error {
		_, err := st.ForgetProcessed(ctx, time.Now().Add(-startup.LedgerRetention))
		return err
	})
	return svc.Serve(ctx, mux, ":8083", ready)
}
