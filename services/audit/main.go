// Command audit is Taskmesh's audit service: it records every TaskEvent of topic
// task-events in an activity log (one entry per event, however often it is delivered),
// with the task before and after, and serves each user their own log (AuditService) over
// Connect, gRPC and gRPC-Web on one port. Events arrive through the Dapr sidecar; without
// one the service still serves the log, but records nothing new.
//
// Configuration comes from the environment (see pkg/dapr/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8084)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service runs standalone
//	                       and consumes no events
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

	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/audit/internal/handler"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
	auditsql "github.com/taskmesh/taskmesh/sql/audit"
)

func main() { startup.Main(meshnames.Audit, run) }

// run serves until ctx ends, then shuts down gracefully: it stops taking requests and
// event deliveries and drains them, stops the Dapr callbacks, then closes the database.
// When ready is not nil it receives the listening address once the service accepts
// requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.Audit, getenv, stdout,
		startup.OptionalSidecar("serving the audit log standalone, no events are consumed"))
	if err != nil {
		return err
	}
	defer svc.Close()
	verifier, err := svc.Verifier(ctx)
	if err != nil {
		return err
	}
	pool, err := svc.Database(ctx, store.Schema, auditsql.Migrations)
	if err != nil {
		return err
	}
	st := store.New(pool)
	mux := server.UserServiceMux[auditv1connect.AuditServiceHandler](svc.Log, verifier, auditv1connect.AuditServiceName,
		auditv1connect.NewAuditServiceHandler, handler.NewAuditServer(st))
	if app := svc.Dapr(mux, pool.Ping); app != nil {
		handler.NewConsumer(st).Register(app)
	}
	return svc.Serve(ctx, mux, ":8084", ready)
}
