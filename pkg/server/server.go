// Package server runs a Taskmesh service's one port: Connect, gRPC and gRPC-Web handlers
// on a single h2c mux, with gRPC health checking and server reflection (so grpcurl and
// buf curl work without proto files), the standard interceptor chain, and a graceful
// shutdown that drains in-flight requests.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"connectrpc.com/validate"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/protocodec"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
)

// ShutdownGrace is how long Serve waits for in-flight requests after ctx ends.
const ShutdownGrace = 15 * time.Second

// Service is one Connect service to mount: its fully qualified name and handler, as
// returned by a generated New<Service>Handler.
type Service struct {
	Name    string
	Path    string
	Handler http.Handler
	// MeshOnly marks a service only the mesh may call (served with MeshHandlerOptions):
	// reflection does not advertise it.
	MeshOnly bool
}

// Mux mounts services plus gRPC health (reporting every service as serving) and server
// reflection for the public ones: a client that lists the port's services sees only
// what it may call.
func Mux(services ...Service) *http.ServeMux {
	mux := http.NewServeMux()
	names := make([]string, 0, len(services))
	public := make([]string, 0, len(services))
	for _, s := range services {
		mux.Handle(s.Path, s.Handler)
		names = append(names, s.Name)
		if !s.MeshOnly {
			public = append(public, s.Name)
		}
	}
	// Health and reflection take public requests too: the same message limit.
	limit := MessageLimit(MaxRequestBytes)
	mux.Handle(grpchealth.NewHandler(grpchealth.NewStaticChecker(names...), limit))
	reflector := grpcreflect.NewStaticReflector(public...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, limit))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, limit))
	return mux
}

// HandlerOptions is the interceptor chain of every public service, outermost first: the
// common head (see head, with messages bounded to MaxRequestBytes), authentication (every
// procedure but those for which public returns true), then request validation
// (protovalidate rules in the protos, and no NUL characters in strings).
func HandlerOptions(log zerolog.Logger, verifier *authn.Verifier, public func(procedure string) bool) connect.HandlerOption {
	return head(log, MaxRequestBytes, authn.NewInterceptor(verifier, public), userField{}, validate.NewInterceptor(), noNUL{})
}

// head is what every service shares: request messages bounded to maxBytes (see
// MessageLimit: before anything is decoded, so before the token is checked), bodies
// decoded by the strict codecs of pkg/protocodec, and these interceptors in front of
// inner, outermost first:
// logging (rpclog), error mapping (apierr: clients see Connect codes and, for anything
// unexpected, a generic message), then panic recovery, so that a panicking handler or
// interceptor answers Internal, is logged in full with its request id, and leaves the
// server serving. (net/http would recover too, but the client would see a broken
// connection and the log a bare stack without the request.)
func head(log zerolog.Logger, maxBytes int, inner ...connect.Interceptor) connect.HandlerOption {
	return connect.WithHandlerOptions(
		protocodec.HandlerOptions(),
		MessageLimit(maxBytes),
		connect.WithInterceptors(rpclog.NewInterceptor(log), apierr.NewInterceptor()),
		connect.WithRecover(recovered),
		connect.WithInterceptors(inner...),
	)
}

// recovered turns a handler's panic into an internal error carrying the panic value and
// the stack: apierr hides it from the client, rpclog logs it.
func recovered(_ context.Context, spec connect.Spec, _ http.Header, p any) error {
	return fmt.Errorf("panic in %s: %v\n%s", spec.Procedure, p, debug.Stack())
}

// Serve serves h on lis (HTTP/1.1 and cleartext HTTP/2) with DefaultLimits until ctx
// ends, then stops accepting, drains in-flight requests for up to ShutdownGrace, and
// returns.
func Serve(ctx context.Context, lis net.Listener, h http.Handler, log zerolog.Logger) error {
	return ServeWithLimits(ctx, lis, h, log, DefaultLimits)
}

// ServeWithLimits is Serve with other limits (tests use small ones). Every request body is
// bounded by LimitBodies; the header and idle timeouts are the http.Server's, and apply to
// HTTP/2 connections too (net/http's HTTP/2 server takes IdleTimeout from it).
func ServeWithLimits(ctx context.Context, lis net.Listener, h http.Handler, log zerolog.Logger, lim Limits) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           LimitBodies(h, lim.MaxBodyBytes, lim.BodyReadTimeout),
		Protocols:         protocols,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          nil,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	log.Info().Str("addr", lis.Addr().String()).Msg("serving")
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info().Msg("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// userField adds the authenticated user to the request's log line.
type userField struct{}

func (userField) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if id, err := authn.UserID(ctx); err == nil {
			rpclog.AddField(ctx, "user_id", id.String())
		}
		return next(ctx, req)
	}
}

func (userField) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (userField) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if id, err := authn.UserID(ctx); err == nil {
			rpclog.AddField(ctx, "user_id", id.String())
		}
		return next(ctx, conn)
	}
}

// CallerAppIDHeader is set by daprd on calls it proxies: the app id of the caller. daprd
// appends it to whatever the client sent, so only its last value is daprd's.
const CallerAppIDHeader = "dapr-caller-app-id"

// MeshHandlerOptions is the interceptor chain of mesh-only services: the common head (see
// head, with messages bounded to MaxMeshMessageBytes), a check that the call came from the app's own sidecar (it carries the app API
// token, which daprd adds to every call it delivers and nobody else knows) on behalf of
// one of callers (the last dapr-caller-app-id, the one daprd appended), then request
// validation. Dapr access control on Kubernetes limits the callers too; this check is what
// stops a client that reaches the app's port directly. With no token configured every
// call is refused.
func MeshHandlerOptions(log zerolog.Logger, token apptoken.Token, callers ...string) connect.HandlerOption {
	return head(log, MaxMeshMessageBytes, meshOnly{token: token, callers: callers}, validate.NewInterceptor(), noNUL{})
}

type meshOnly struct {
	token   apptoken.Token
	callers []string
}

func (m meshOnly) check(h http.Header) error {
	if !m.token.MatchesHeader(h) {
		return connect.NewError(connect.CodeUnauthenticated, errors.New("this service is only for other services of the mesh, through the app's Dapr sidecar"))
	}
	caller := apptoken.Last(h, CallerAppIDHeader)
	for _, c := range m.callers {
		if caller == c {
			return nil
		}
	}
	return connect.NewError(connect.CodePermissionDenied, errors.New("this service is only for other services of the mesh"))
}

func (m meshOnly) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := m.check(req.Header()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (m meshOnly) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (m meshOnly) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := m.check(conn.RequestHeader()); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
