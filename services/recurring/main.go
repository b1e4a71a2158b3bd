// Command recurring is Taskmesh's recurring-task service: it consumes task-events and,
// when an occurrence of a recurring series is completed, asks the api (over Dapr service
// invocation) to create the next one. It serves only gRPC health on its port, next to
// Dapr's app callbacks.
//
// Configuration comes from the environment:
//
//	ADDR                 listen address (default :8082)
//	DAPR_GRPC_PORT       the sidecar's gRPC port (required: the service works only in the mesh)
//	DATABASE_URL[_FILE]  PostgreSQL URL, else secret "database-url"
//	LOG_LEVEL            debug, info, warn or error (default info)
//	LOG_FORMAT           json or console (default json)
//	MIGRATE_ONLY         true: apply the migrations, then exit (a Kubernetes Job)
package main

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/recurring/internal/consumer"
	recurringsql "github.com/taskmesh/taskmesh/sql/recurring"
)

func main() { startup.Main(meshnames.Recurring, run) }

// run serves until ctx ends, then drains in-flight callbacks and closes the database.
// When ready is not nil it receives the listening address once the service is serving.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.Recurring, getenv, stdout, startup.RequireSidecar())
	if err != nil {
		return err
	}
	defer svc.Close()
	pool, err := svc.Database(ctx, consumer.Schema, recurringsql.Migrations)
	if err != nil {
		return err
	}
	mux := server.Mux()
	app := svc.Dapr(mux, pool.Ping)
	c := consumer.New(pool, invoke.Client(svc.Sidecar.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient))
	c.Register(app)
	svc.Every(time.Hour, "purging the event ledger", func(ctx context.Context) error {
		_, err := c.ForgetProcessed(ctx, time.Now().Add(-startup.LedgerRetention))
		return err
	})
	return svc.Serve(ctx, mux, ":8082", ready)
}
