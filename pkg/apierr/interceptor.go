package apierr

import (
	"context"

	"connectrpc.com/connect"
)

// Interceptor turns the errors handlers (and the interceptors inside it) return into
// the Connect errors clients see, with ToConnect. Install it inside the request logger:
// an internal error reaches the client as a generic Internal error, while the error the
// logger sees still prints the original in full (its Error method), and connect.CodeOf
// and errors.As on it find the Connect error sent.
type Interceptor struct{}

// NewInterceptor returns an Interceptor.
func NewInterceptor() Interceptor { return Interceptor{} }

var _ connect.Interceptor = Interceptor{}

// WrapUnary implements connect.Interceptor.
func (Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		resp, err := next(ctx, req)
		if err != nil {
			return nil, toClient(err)
		}
		return resp, nil
	}
}

// WrapStreamingClient implements connect.Interceptor: client calls pass untouched.
func (Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := next(ctx, conn); err != nil {
			return toClient(err)
		}
		return nil
	}
}

func toClient(err error) error {
	cerr, expected := ToConnect(err)
	if expected {
		return cerr
	}
	return &hidden{sent: cerr, cause: err}
}

// hidden is an internal error: the client is sent sent, the log prints cause.
type hidden struct {
	sent  *connect.Error
	cause error
}

func (h *hidden) Error() string { return h.cause.Error() }

// Unwrap yields the Connect error sent, for connect's own errors.As and connect.CodeOf.
func (h *hidden) Unwrap() error { return h.sent }
