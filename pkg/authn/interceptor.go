package authn

import (
	"context"
	"errors"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/apierr"
)

type userKey struct{}

// WithUserID returns ctx carrying userID as the authenticated user.
func WithUserID(ctx context.Context, userID uuid.UUID) context.Context {
	return context.WithValue(ctx, userKey{}, userID)
}

// UserID returns the authenticated user of ctx, or an Unauthenticated error when there is
// none (a handler of a procedure that the interceptor lets through unauthenticated).
func UserID(ctx context.Context) (uuid.UUID, error) {
	if id, ok := ctx.Value(userKey{}).(uuid.UUID); ok {
		return id, nil
	}
	return uuid.Nil, apierr.Unauthenticated("sign in first")
}

// Interceptor requires a valid access token ("Authorization: Bearer <token>") of a
// session that has not ended on every call, unary and streaming, except the procedures
// for which public returns true, and puts the token's user in the context (see UserID).
// A token of a signed-out session answers Unauthenticated; when the revocation list
// cannot be read the call answers Unavailable.
type Interceptor struct {
	verifier *Verifier
	public   func(procedure string) bool
}

// NewInterceptor returns an Interceptor checking tokens with verifier.
func NewInterceptor(verifier *Verifier, public func(procedure string) bool) *Interceptor {
	return &Interceptor{verifier: verifier, public: public}
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header value.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func (i *Interceptor) authenticate(ctx context.Context, procedure, header string) (context.Context, error) {
	if i.public(procedure) {
		return ctx, nil
	}
	token, ok := BearerToken(header)
	if !ok {
		return nil, apierr.Unauthenticated("missing access token: send Authorization: Bearer <token>")
	}
	claims, err := i.verifier.Authenticate(ctx, token)
	if errors.Is(err, ErrRevocationsUnavailable) {
		// The token may well be fine: do not make the client sign out, but do not let a
		// possibly ended session through either.
		zerolog.Ctx(ctx).Error().Err(err).Msg("cannot check the session")
		return nil, connect.NewError(connect.CodeUnavailable, errors.New("cannot check the session right now; try again shortly"))
	}
	if err != nil {
		return nil, apierr.Unauthenticated(err.Error())
	}
	return WithUserID(ctx, claims.UserID), nil
}

// WrapUnary implements connect.Interceptor.
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.authenticate(ctx, req.Spec().Procedure, req.Header().Get("Authorization"))
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor; clients are not affected.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.authenticate(ctx, conn.Spec().Procedure, conn.RequestHeader().Get("Authorization"))
		if err != nil {
			return err
		}
		return next(ctx, conn)
	}
}
