// Package invoke is the app calling other apps of the mesh through its own Dapr sidecar
// (service invocation by gRPC proxying): gRPC to the sidecar's gRPC port, with the header
// dapr-app-id naming the target, so that Dapr does discovery, mTLS, retries and access
// control. Client builds generated Connect clients that do so, forwarding the request id
// of the current call; Transport is the HTTP/2 transport under them, which the web
// gateway's reverse proxy uses too.
package invoke

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/net/http2"

	"github.com/taskmesh/taskmesh/pkg/rpclog"
)

// AppIDHeader names the target app of a call through the sidecar.
const AppIDHeader = "dapr-app-id"

// Mesh reaches other apps through one sidecar.
type Mesh struct {
	baseURL string
	http    *http.Client
}

// New returns a Mesh for the sidecar whose gRPC API listens on grpcAddr (host:port).
func New(grpcAddr string) *Mesh {
	return &Mesh{baseURL: "http://" + grpcAddr, http: &http.Client{Transport: Transport()}}
}

// Transport returns a new transport for gRPC to a sidecar: HTTP/2 in cleartext (h2c),
// which is what the sidecar speaks. A connection idle for 30s is pinged, and one whose
// ping goes unanswered for 10s is closed, so that calls fail over to a new connection
// instead of hanging on a sidecar that went away. x/net/http2 is used instead of
// net/http's own h2c because it supports long-lived streams with pings.
func Transport() *http2.Transport {
	return &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		ReadIdleTimeout: 30 * time.Second,
		PingTimeout:     10 * time.Second,
	}
}

// Client returns a client of app built by newClient (a generated New<Service>Client).
func Client[T any](m *Mesh, app string, newClient func(connect.HTTPClient, string, ...connect.ClientOption) T) T {
	return newClient(m.http, m.baseURL, connect.WithGRPC(), connect.WithInterceptors(target(app)))
}

// target sets the dapr-app-id header and forwards the request id.
type target string

func (t target) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set(AppIDHeader, string(t))
		if id := rpclog.RequestID(ctx); id != "" {
			req.Header().Set(rpclog.RequestIDHeader, id)
		}
		return next(ctx, req)
	}
}

func (t target) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set(AppIDHeader, string(t))
		if id := rpclog.RequestID(ctx); id != "" {
			conn.RequestHeader().Set(rpclog.RequestIDHeader, id)
		}
		return conn
	}
}

func (t target) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
