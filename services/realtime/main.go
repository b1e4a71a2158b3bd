// Command realtime is Taskmesh's live-update service: browsers hold a WebSocket at /ws
// (through the web gateway) and receive their own user's TaskUpdateEvents as they happen.
// Every replica receives every update from the broadcast pub/sub component (a consumer
// group per replica), so a user is served whichever replica their socket landed on. On
// reconnect a client is told whether it missed changes (then it calls SyncTasks).
//
// Configuration comes from the environment (see pkg/sidecar.Setting for the secrets):
//
//	ADDR                   listen address (default :8085)
//	DAPR_GRPC_PORT         the sidecar's gRPC port; without it the service serves sockets
//	                       but receives no updates and cannot tell whether a client
//	                       missed changes (every client is told to sync)
//	AUTH_VERIFY_KEY[_FILE] PEM Ed25519 public (or private) key checking access tokens,
//	                       else secret "auth-verify-key"
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	WS_ORIGIN_PATTERNS     comma-separated browser origins allowed besides the request's
//	                       own host (host patterns, as in coder/websocket AcceptOptions)
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
	"strings"
	"syscall"
	"time"

	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshclient"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/pkg/sidecar"
	"github.com/taskmesh/taskmesh/services/realtime/internal/socket"
)

// socketsGrace bounds the closing of the open sockets at shutdown (each close handshake
// waits up to 5 s for its peer's reply).
const socketsGrace = 12 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "realtime:", err)
		os.Exit(1)
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

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

// run starts the service and blocks until ctx ends, then shuts down: it stops accepting,
// drains in-flight requests, closes every socket with 1001 (going away) and waits for
// them. When ready is not nil it receives the listening address once the service accepts
// connections.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), meshnames.Realtime)
	if err != nil {
		return err
	}
	sc, err := sidecar.Connect(ctx, getenv, 30*time.Second)
	switch {
	case errors.Is(err, sidecar.ErrNotConfigured):
		log.Warn().Msg("no Dapr sidecar: serving sockets without updates; every client is told to sync")
		sc = nil
	case err != nil:
		return err
	default:
		defer sc.Close()
	}
	keyPEM, err := sidecar.Setting(ctx, getenv, sc, "AUTH_VERIFY_KEY", meshnames.VerifyKeySecret)
	if err != nil {
		return err
	}
	pub, err := authn.LoadPublicKey([]byte(keyPEM))
	if err != nil {
		return err
	}
	verifier := authn.NewVerifier(pub, authn.Config{
		Issuer:   orDefault(getenv("AUTH_ISSUER"), "taskmesh"),
		Audience: orDefault(getenv("AUTH_AUDIENCE"), "taskmesh"),
	})

	hub := socket.NewHub(log, socket.HubConfig{})
	mux := server.Mux()
	var seqs socket.ChangeSeqs
	if sc != nil {
		app := daprapp.New(log, sc.Client, nil)
		defer app.Stop() // after the server and the sockets
		hub.Subscribe(app)
		app.Mount(mux)
		seqs = socket.MeshChangeSeqs{Client: meshclient.Client(sc.Mesh, meshnames.API, internalv1connect.NewTaskInternalServiceClient)}
	}
	sockets := socket.NewHandler(log, hub, verifier, seqs, socket.HandlerConfig{
		OriginPatterns: splitList(getenv("WS_ORIGIN_PATTERNS")),
	})
	mux.Handle("GET /ws", sockets)

	addr := orDefault(getenv("ADDR"), ":8085")
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	serveErr := server.Serve(ctx, lis, mux, log)
	// http.Server.Shutdown does not wait for hijacked connections: close the sockets here.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketsGrace)
	defer cancel()
	log.Info().Msg("closing sockets: going away")
	if err := sockets.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("some sockets did not finish closing")
	}
	return serveErr
}
