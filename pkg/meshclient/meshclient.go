// Package meshclient builds generated Connect clients that call other services of the
// mesh through the caller's own Dapr sidecar: gRPC to the sidecar's gRPC port, with the
// header dapr-app-id naming the target, so that Dapr does discovery, mTLS, retries and
// access control. The request id of the current call travels along.
package meshclient

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
	// gRPC needs HTTP/2; the sidecar speaks it in cleartext (h2c). x/net/http2 is used
	// instead of net/http's own h2c because it supports long-lived streams with pings.
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		ReadIdleTimeout: 30 * time.Second,
		PingTimeout:     10 * time.Second,
	}
	return &Mesh{baseURL: "http://" + grpcAddr, http: &http.Client{Transport: tr}}
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
