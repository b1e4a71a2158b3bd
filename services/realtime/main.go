// Command realtime is Taskmesh's live-update service: browsers hold a WebSocket at /ws
// (through the web gateway) and receive their own user's TaskUpdateEvents as they happen.
// Every replica receives every update from the broadcast pub/sub component (a consumer
// group per replica), so a user is served whichever replica their socket landed on. On
// reconnect a client is told whether it missed changes (then it calls SyncTasks).
//
// Configuration comes from the environment (see pkg/dapr/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8085)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service serves sockets
//	                       but receives no updates and cannot tell whether a client
//	                       missed changes (every client is told to sync)
//	AUTH_VERIFY_KEY[_FILE] PEM Ed25519 public keys checking access tokens (the key set; a
//	                       private key is refused), else secret "auth-verify-key"
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	WS_ORIGIN_PATTERNS     comma-separated browser origins allowed besides the request's
//	                       own host (host patterns, as in coder/websocket AcceptOptions)
//	LOG_LEVEL              debug, info, warn or error (default info)
//	LOG_FORMAT             json or console (default json)
package main

import (
	"context"
	"io"
	"net"
	"strings"
	"time"

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/startup"
	"github.com/taskmesh/taskmesh/services/realtime/internal/socket"
)

// socketsGrace bounds the closing of the open sockets at shutdown (each close handshake
// waits up to 5 s for its peer's reply).
const socketsGrace = 12 * time.Second

func main() { startup.Main(meshnames.Realtime, run) }

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// run serves until ctx ends, then shuts down: it stops accepting, drains in-flight
// requests, closes every socket with 1001 (going away) and waits for them. When ready is
// not nil it receives the listening address once the service accepts connections.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	svc, err := startup.Begin(ctx, meshnames.Realtime, getenv, stdout,
		startup.OptionalSidecar("serving sockets without updates; every client is told to sync"))
	if err != nil {
		return err
	}
	defer svc.Close()
	verifier, err := svc.Verifier(ctx)
	if err != nil {
		return err
	}
	hub := socket.NewHub(svc.Log, socket.HubConfig{})
	mux := server.Mux()
	var seqs socket.ChangeSeqs
	if app := svc.Dapr(mux, nil); app != nil {
		hub.Subscribe(app)
		seqs = socket.MeshChangeSeqs{Client: invoke.Client(svc.Sidecar.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient)}
	}
	sockets := socket.NewHandler(svc.Log, hub, verifier, seqs, socket.HandlerConfig{
		OriginPatterns: splitList(svc.Env("WS_ORIGIN_PATTERNS", "")),
	})
	mux.Handle("GET /ws", sockets)
	// http.Server.Shutdown does not wait for hijacked connections: once the server has
	// drained, close the sockets (before the Dapr callbacks stop).
	svc.OnClose(func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketsGrace)
		defer cancel()
		svc.Log.Info().Msg("closing sockets: going away")
		if err := sockets.Shutdown(sctx); err != nil {
			svc.Log.Warn().Err(err).Msg("some sockets did not finish closing")
		}
	})
	return svc.Serve(ctx, mux, ":8085", ready)
}
