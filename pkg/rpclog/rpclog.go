// Package rpclog logs every Connect call a service handles once, with a request id.
//
// The request id comes from the X-Request-Id header (or is made up), is echoed in the
// response (and in an error's metadata), and rides in the context so that outgoing calls
// can forward it across the mesh (package invoke does). Handlers get a request-scoped
// zerolog logger with zerolog.Ctx(ctx). Calls that end in an Internal or Unknown error
// are logged at error level with the error in full; install apierr's interceptor inside
// this one, so that clients see a generic message while the log keeps the cause.
package rpclog

import (
	"context"
	"errors"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
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

// Interceptor logs the calls a service handles; see the package doc. It is for
// handlers: client calls pass through untouched.
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

// finish writes the call's log line and returns err, with the request id in its
// metadata when it is a Connect error.
func (i *Interceptor) finish(l zerolog.Logger, f *fields, start time.Time, err error) error {
	ev := l.Info()
	code := "ok"
	if err != nil {
		c := connect.CodeOf(err)
		code = c.String()
		if c == connect.CodeInternal || c == connect.CodeUnknown {
			ev = l.Error().AnErr("error", err) // in full: see apierr.Interceptor
		} else {
			msg := err.Error()
			var cerr *connect.Error
			if errors.As(err, &cerr) {
				msg = cerr.Message()
			}
			ev = l.Info().Str("error", msg)
		}
	}
	f.mu.Lock()
	for k, v := range f.kv {
		ev = ev.Str(k, v)
	}
	f.mu.Unlock()
	ev.Str("code", code).Dur("duration", time.Since(start)).Msg("rpc")
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		cerr.Meta().Set(RequestIDHeader, f.requestID)
	}
	return err
}

// WrapUnary implements connect.Interceptor.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		ctx, f, l := i.begin(ctx, req.Spec().Procedure, req.Header().Get(RequestIDHeader))
		resp, err := next(ctx, req)
		if err != nil {
			return nil, i.finish(l, f, start, err)
		}
		resp.Header().Set(RequestIDHeader, f.requestID)
		_ = i.finish(l, f, start, nil)
		return resp, nil
	}
}

// WrapStreamingClient implements connect.Interceptor: client calls pass untouched.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		ctx, f, l := i.begin(ctx, conn.Spec().Procedure, conn.RequestHeader().Get(RequestIDHeader))
		conn.ResponseHeader().Set(RequestIDHeader, f.requestID)
		return i.finish(l, f, start, next(ctx, conn))
	}
}
