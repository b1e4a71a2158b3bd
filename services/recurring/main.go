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
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshclient"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/recurring/internal/consumer"
	recurringsql "github.com/taskmesh/taskmesh/sql/recurring"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "recurring:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then drains in-flight callbacks and closes the database.
// When ready is not nil it receives the listening address once the service is serving.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.Recurring)
	if err != nil {
		return err
	}
	sc, err := sidecar.Connect(ctx, getenv, 30*time.Second)
	if err != nil {
		return err
	}
	defer sc.Close()
	dbURL, err := sidecar.Setting(ctx, getenv, sc, "DATABASE_URL", meshnames.DatabaseURLSecret)
	if err != nil {
		return err
	}
	if err := pgschema.Migrate(ctx, dbURL, consumer.Schema, recurringsql.Migrations, "migrations"); err != nil {
		return err
	}
	pool, err := pgschema.Pool(ctx, dbURL, consumer.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()

	app := daprapp.New(log, sc.Client, pool.Ping)
	defer app.Stop()
	consumer.New(pool, meshclient.Client(sc.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient)).Register(app)
	mux := server.Mux()
	app.Mount(mux)

	addr := getenv("ADDR")
	if addr == "" {
		addr = ":8082"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, mux, log)
}
