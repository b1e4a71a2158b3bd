// Command web is Taskmesh's web gateway: it serves the frontend and forwards the browser's
// RPCs through its Dapr sidecar, and its WebSocket to realtime (see package gateway).
//
// Configuration comes from the environment:
//
//	ADDR            listen address (default :8080)
//	DAPR_GRPC_PORT  the sidecar's gRPC port (required)
//	REALTIME_URL    the realtime service (default http://127.0.0.1:8085)
//	FRONTEND_DIR    the built frontend (default frontend/dist)
//	LOG_LEVEL       debug, info, warn or error (default info)
//	LOG_FORMAT      json or console (default json)
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/web/internal/gateway"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(1)
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// run serves until ctx ends, then drains in-flight requests. When ready is not nil it
// receives the listening address once the gateway accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.Web)
	if err != nil {
		return err
	}
	addr := sidecar.Addr(getenv)
	if addr == "" {
		return sidecar.ErrNotConfigured
	}
	h, err := gateway.New(gateway.Config{
		SidecarAddr: addr,
		RealtimeURL: orDefault(getenv("REALTIME_URL"), "http://127.0.0.1:8085"),
		FrontendDir: orDefault(getenv("FRONTEND_DIR"), "frontend/dist"),
		Log:         log,
	})
	if err != nil {
		return err
	}
	listen := orDefault(getenv("ADDR"), ":8080")
	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, h, log)
}
