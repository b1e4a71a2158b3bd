// Package rpclog logs every Connect call once, with a request id, and turns handler
// errors into what the client may see (see apierr.ToConnect).
//
// The request id comes from the X-Request-Id header (or is made up), is echoed in the
// response, and rides in the context so that outgoing calls can forward it across the
// mesh. Handlers get a request-scoped zerolog logger with zerolog.Ctx(ctx).
package rpclog

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/apierr"
)

// RequestIDHeader carries the request id between clients and services.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

type fieldsKey struct{}

// fields are extra key/values for the request's log line, added by inner layers.
type fields struct {
	requestID string
	mu        sync.Mutex
	kv        map[string]string
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id as the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// AddField adds key=value to the log line of the request in ctx (no-op outside one).
func AddField(ctx context.Context, key, value string) {
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok {
		f.mu.Lock()
		f.kv[key] = value
		f.mu.Unlock()
	}
}

// Interceptor logs calls and maps their errors; see the package doc.
type Interceptor struct {
	log zerolog.Logger
}

// NewInterceptor returns an Interceptor writing to log.
func NewInterceptor(log zerolog.Logger) *Interceptor { return &Interceptor{log: log} }

func (i *Interceptor) begin(ctx context.Context, procedure, requestID string) (context.Context, *fields, zerolog.Logger) {
	if requestID == "" || len(requestID) > 128 {
		requestID = uuid.NewString()
	}
	f := &fields{requestID: requestID, kv: map[string]string{}}
	l := i.log.With().Str("procedure", procedure).Str("request_id", requestID).Logger()
	ctx = WithRequestID(ctx, requestID)
	ctx = context.WithValue(ctx, fieldsKey{}, f)
	return l.WithContext(ctx), f, l
}

func (i *Interceptor) finish(l zerolog.Logger, f *fields, start time.Time, err error) error {
	cerr, expected := apierr.ToConnect(err)
	code := "ok"
	if cerr != nil {
		code = cerr.Code().String()
	}
	ev := l.Info()
	if !expected {
		ev = l.Error().AnErr("error", err)
	} else if err != nil {
		ev = l.Info().Str("error", cerr.Message())
	}
	f.mu.Lock()
	for k, v := range f.kv {
		ev = ev.Str(k, v)
	}
	f.mu.Unlock()
	ev.Str("code", code).Dur("duration", time.Since(start)).Msg("rpc")
	if cerr == nil {
		return nil
	}
	cerr.Meta().Set(RequestIDHeader, f.requestID)
	return cerr
}

// WrapUnary implements connect.Interceptor.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			if id := RequestID(ctx); id != "" && req.Header().Get(RequestIDHeader) == "" {
				req.Header().Set(RequestIDHeader, id)
			}
			return next(ctx, req)
		}
		start := time.Now()
		ctx, f, l := i.begin(ctx, req.Spec().Procedure, req.Header().Get(RequestIDHeader))
		resp, err := next(ctx, req)
		if resp != nil {
			resp.Header().Set(RequestIDHeader, RequestID(ctx))
		}
		if err := i.finish(l, f, start, err); err != nil {
			return nil, err
		}
		return resp, nil
	}
}

// WrapStreamingClient implements connect.Interceptor: it forwards the request id.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if id := RequestID(ctx); id != "" {
			conn.RequestHeader().Set(RequestIDHeader, id)
		}
		return conn
	}
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		ctx, f, l := i.begin(ctx, conn.Spec().Procedure, conn.RequestHeader().Get(RequestIDHeader))
		conn.ResponseHeader().Set(RequestIDHeader, RequestID(ctx))
		return i.finish(l, f, start, next(ctx, conn))
	}
}
