// Package rpctest is the shared harness of the services' tests: the wire protocols every
// handler must serve and their HTTP clients, an HTTP/1.1 + h2c test server, a bearer-token
// client interceptor, assertions on Connect errors (codes, buf.validate violations), and,
// for the services' main_test.go, a log sink, key files and the start/ready/stop dance of
// a service's run function.
//
// It is imported only by tests (_test.go files); production code must not depend on it.
package rpctest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"
)

// Protocol is one wire protocol the handlers must serve: a name for subtests and the
// client options that select it.
type Protocol struct {
	// Name names the protocol in subtests: "connect" or "grpc".
	Name string
	// Options make a generated client speak the protocol.
	Options []connect.ClientOption
}

var (
	// Connect is the Connect protocol with JSON over HTTP/1.1, as the browser speaks it.
	Connect = Protocol{Name: "connect", Options: []connect.ClientOption{connect.WithProtoJSON()}}
	// GRPC is gRPC (binary protobuf) over cleartext HTTP/2 (h2c).
	GRPC = Protocol{Name: "grpc", Options: []connect.ClientOption{connect.WithGRPC()}}
)

// Protocols are the protocols every handler must serve: Connect (HTTP/1.1 JSON), then
// gRPC (h2c binary).
var Protocols = []Protocol{Connect, GRPC}

// h2c carries gRPC: HTTP/2 with prior knowledge over plain TCP.
var h2c = func() *http.Transport {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return tr
}()

// HTTPClient returns an HTTP client able to carry p: cleartext HTTP/2 (h2c) for gRPC,
// http.DefaultClient otherwise.
func (p Protocol) HTTPClient() *http.Client {
	if p.Name != GRPC.Name {
		return http.DefaultClient
	}
	return &http.Client{Transport: h2c}
}

// NewServer serves h on a local test server speaking HTTP/1.1 and unencrypted HTTP/2
// (h2c), closed when tb ends, and returns its base URL (http://127.0.0.1:port).
func NewServer(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv.URL
}

// Bearer returns a client interceptor that sends token as "Authorization: Bearer <token>"
// on every unary and streaming call.
func Bearer(token string) connect.Interceptor {
	return Headers{"Authorization": "Bearer " + token}
}

// Headers is a client interceptor that sets these request headers on every unary and
// streaming call: a token, or what a hostile client forges (a caller app id, a forwarded
// address).
type Headers map[string]string

func (h Headers) set(header http.Header) {
	for k, v := range h {
		header.Set(k, v)
	}
}

func (h Headers) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		h.set(req.Header())
		return next(ctx, req)
	}
}

func (h Headers) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		h.set(conn.RequestHeader())
		return conn
	}
}

func (h Headers) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// NewRequest returns a request for a new message with edits applied in order.
func NewRequest[T any](edits ...func(*T)) *connect.Request[T] {
	m := new(T)
	for _, edit := range edits {
		edit(m)
	}
	return connect.NewRequest(m)
}
