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

	"github.com/taskmesh/taskmesh/pkg/clientaddr"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/web/internal/gateway"
)

func main() { startup.Main(meshnames.Web, run) }

// run serves until ctx ends, then drains in-flight requests. When ready is not nil it
// receives the listening address once the gateway accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.Web, getenv, stdout, startup.RequireSidecar())
	if err != nil {
		return err
	}
	defer svc.Close()
	// TRUSTED_PROXIES: the ingress or load balancer in front of the gateway (CIDRs);
	// only their X-Forwarded-For is believed.
	trusted, err := clientaddr.ParseTrusted(getenv("TRUSTED_PROXIES"))
	if err != nil {
		return fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	h, err := gateway.New(gateway.Config{
		SidecarAddr:    svc.Sidecar.Addr,
		RealtimeURL:    svc.Env("REALTIME_URL", "http://127.0.0.1:8085"),
		FrontendDir:    svc.Env("FRONTEND_DIR", "frontend/dist"),
		Publisher:      svc.Sidecar.Publisher(),
		AppToken:       svc.AppToken,
		TrustedProxies: trusted,
		Log:            svc.Log,
	})
	if err != nil {
		return err
	}
	return svc.Serve(ctx, h, ":8080", ready)
}
