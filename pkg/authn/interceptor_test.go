package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
)

// echoStreamProcedure is a bidi-streaming procedure mounted next to AuthService to cover
// the interceptor's streaming path (AuthService has unary RPCs only).
const echoStreamProcedure = "/taskmesh.test.v1.EchoService/WhoAmIStream"

// stubAuth answers GetMe with the user the interceptor put in the context, and SignIn (a
// public procedure) with whatever user the context carries, if any. calls counts the
// calls that reached a handler, so that a rejection is known to come from the interceptor.
type stubAuth struct {
	authv1connect.UnimplementedAuthServiceHandler
	calls *atomic.Int64
}

func (s stubAuth) GetMe(ctx context.Context, _ *connect.Request[authv1.GetMeRequest]) (*connect.Response[authv1.GetMeResponse], error) {
	s.calls.Add(1)
	id, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&authv1.GetMeResponse{User: &authv1.User{Id: id.String()}}), nil
}

func (stubAuth) SignIn(ctx context.Context, _ *connect.Request[authv1.SignInRequest]) (*connect.Response[authv1.SignInResponse], error) {
	user := &authv1.User{}
	if id, err := authn.UserID(ctx); err == nil {
		user.Id = id.String()
	}
	return connect.NewResponse(&authv1.SignInResponse{User: user, Session: &authv1.Session{AccessToken: "public-ok"}}), nil
}

// switchableStore is a revocation store that can be taken down.
type switchableStore struct {
	*authn.MemoryRevocations
	down atomic.Bool
}

func (s *switchableStore) Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	if s.down.Load() {
		return false, errors.New("connection refused")
	}
	return s.MemoryRevocations.Revoked(ctx, sessionID)
}

type interceptorEnv struct {
	issuer *authn.Issuer
	store  *switchableStore
	url    string
	hc     *http.Client
	calls  *atomic.Int64 // calls that reached GetMe or the stream handler
}

// newInterceptorEnv serves the stub AuthService and the echo stream behind rpclog and
// authn interceptors, in the order of server.HandlerOptions, over HTTP/1.1 and h2c.
func newInterceptorEnv(t *testing.T) *interceptorEnv {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store := &switchableStore{MemoryRevocations: authn.NewMemoryRevocations()}
	issuer := authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh", Revocations: authn.NewRevocations(store, 0)})
	public := func(p string) bool { return p == authv1connect.AuthServiceSignInProcedure }
	opts := connect.WithInterceptors(rpclog.NewInterceptor(zerolog.Nop()), apierr.NewInterceptor(), authn.NewInterceptor(issuer.Verifier, public))

	calls := new(atomic.Int64)
	mux := http.NewServeMux()
	mux.Handle(authv1connect.NewAuthServiceHandler(stubAuth{calls: calls}, opts))
	mux.Handle(echoStreamProcedure, connect.NewBidiStreamHandler(echoStreamProcedure,
		func(ctx context.Context, stream *connect.BidiStream[authv1.GetMeRequest, authv1.GetMeResponse]) error {
			calls.Add(1)
			id, err := authn.UserID(ctx)
			if err != nil {
				return err
			}
			if _, err := stream.Receive(); err != nil {
				return err
			}
			return stream.Send(&authv1.GetMeResponse{User: &authv1.User{Id: id.String()}})
		}, opts))

	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &interceptorEnv{issuer: issuer, store: store, url: srv.URL, hc: &http.Client{Transport: tr}, calls: calls}
}

// authHeaderCases are Authorization header values and whether they must be accepted;
// "" means no header at all.
func authHeaderCases(t *testing.T, e *interceptorEnv, userID uuid.UUID) []struct {
	name   string
	header string
	ok     bool
} {
	t.Helper()
	good, _, err := e.issuer.Issue(userID)
	if err != nil {
		t.Fatal(err)
	}
	// A token of a session that was then signed out.
	ended := uuid.New()
	signedOut, _, err := e.issuer.IssueSession(userID, ended)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.issuer.EndSession(context.Background(), ended); err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	foreign, _, err := authn.NewIssuer(otherPriv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"}).Issue(userID)
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name   string
		header string
		ok     bool
	}{
		{"no header", "", false},
		{"Bearer with a bad token", "Bearer not-a-jwt", false},
		{"Bearer with a token of another key", "Bearer " + foreign, false},
		{"Bearer without a token", "Bearer ", false},
		{"Bearer alone", "Bearer", false},
		{"wrong scheme Basic", "Basic x", false},
		{"wrong scheme with a valid token", "Basic " + good, false},
		{"bare token without scheme", good, false},
		{"valid token of a signed-out session", "Bearer " + signedOut, false},
		{"valid token", "Bearer " + good, true},
		{"valid token, scheme in lower case", "bearer " + good, true},
	}
}

func TestInterceptorUnary(t *testing.T) {
	e := newInterceptorEnv(t)
	userID := uuid.New()
	for _, proto := range []struct {
		name string
		opts []connect.ClientOption
	}{
		{"connect", nil},
		{"grpc", []connect.ClientOption{connect.WithGRPC()}},
	} {
		client := authv1connect.NewAuthServiceClient(e.hc, e.url, proto.opts...)
		for _, tc := range authHeaderCases(t, e, userID) {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				req := connect.NewRequest(&authv1.GetMeRequest{})
				if tc.header != "" {
					req.Header().Set("Authorization", tc.header)
				}
				before := e.calls.Load()
				resp, err := client.GetMe(context.Background(), req)
				if !tc.ok {
					if got := connect.CodeOf(err); got != connect.CodeUnauthenticated {
						t.Fatalf("GetMe with Authorization %q: code %v (%v); want Unauthenticated", tc.header, got, err)
					}
					if e.calls.Load() != before {
						t.Fatalf("GetMe with Authorization %q reached the handler; the interceptor must stop it", tc.header)
					}
					return
				}
				if err != nil {
					t.Fatalf("GetMe with a valid token: %v", err)
				}
				if got := resp.Msg.GetUser().GetId(); got != userID.String() {
					t.Fatalf("handler saw user %q; want %q", got, userID)
				}
			})
		}
		t.Run(proto.name+"/public procedure without a token", func(t *testing.T) {
			resp, err := client.SignIn(context.Background(), connect.NewRequest(&authv1.SignInRequest{Email: "a@example.com", Password: "x"}))
			if err != nil {
				t.Fatalf("public SignIn without a token: %v", err)
			}
			if resp.Msg.GetSession().GetAccessToken() != "public-ok" || resp.Msg.GetUser().GetId() != "" {
				t.Fatalf("public SignIn answered %v", resp.Msg)
			}
		})
		t.Run(proto.name+"/public procedure with a bad token", func(t *testing.T) {
			req := connect.NewRequest(&authv1.SignInRequest{Email: "a@example.com", Password: "x"})
			req.Header().Set("Authorization", "Bearer garbage")
			if _, err := client.SignIn(context.Background(), req); err != nil {
				t.Fatalf("a public procedure must not check tokens: %v", err)
			}
		})
	}
}

func TestInterceptorUnauthenticatedErrorIsMappedAndSaysWhy(t *testing.T) {
	e := newInterceptorEnv(t)
	client := authv1connect.NewAuthServiceClient(e.hc, e.url)
	_, err := client.GetMe(context.Background(), connect.NewRequest(&authv1.GetMeRequest{}))
	var cerr *connect.Error
	if !errors.As(err, &cerr) || cerr.Code() != connect.CodeUnauthenticated {
		t.Fatalf("GetMe without a token: %v; want Unauthenticated", err)
	}
	if cerr.Message() != "missing access token: send Authorization: Bearer <token>" {
		t.Fatalf("message %q does not tell the client what to send", cerr.Message())
	}
	if cerr.Meta().Get(rpclog.RequestIDHeader) == "" {
		t.Fatal("the error carries no request id: rpclog did not map it")
	}
}

func TestInterceptorStreaming(t *testing.T) {
	e := newInterceptorEnv(t)
	userID := uuid.New()
	for _, proto := range []struct {
		name string
		opts []connect.ClientOption
	}{
		{"connect", nil},
		{"grpc", []connect.ClientOption{connect.WithGRPC()}},
	} {
		client := connect.NewClient[authv1.GetMeRequest, authv1.GetMeResponse](e.hc, e.url+echoStreamProcedure, proto.opts...)
		for _, tc := range authHeaderCases(t, e, userID) {
			t.Run(proto.name+"/"+tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				before := e.calls.Load()
				stream := client.CallBidiStream(ctx)
				if tc.header != "" {
					stream.RequestHeader().Set("Authorization", tc.header)
				}
				_ = stream.Send(&authv1.GetMeRequest{}) // fails when the server already answered
				_ = stream.CloseRequest()
				msg, err := stream.Receive()
				_ = stream.CloseResponse()
				if !tc.ok {
					if got := connect.CodeOf(err); got != connect.CodeUnauthenticated {
						t.Fatalf("stream with Authorization %q: code %v (%v); want Unauthenticated", tc.header, got, err)
					}
					if e.calls.Load() != before {
						t.Fatalf("stream with Authorization %q reached the handler; the interceptor must stop it", tc.header)
					}
					return
				}
				if err != nil {
					t.Fatalf("stream with a valid token: %v", err)
				}
				if got := msg.GetUser().GetId(); got != userID.String() {
					t.Fatalf("stream handler saw user %q; want %q", got, userID)
				}
			})
		}
	}
}

func TestInterceptorRevocationListDownIsUnavailableNotUnauthenticated(t *testing.T) {
	e := newInterceptorEnv(t)
	token, _, err := e.issuer.Issue(uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	e.store.down.Store(true)
	client := authv1connect.NewAuthServiceClient(e.hc, e.url)
	req := connect.NewRequest(&authv1.GetMeRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	_, err = client.GetMe(context.Background(), req)
	if got := connect.CodeOf(err); got != connect.CodeUnavailable {
		t.Fatalf("GetMe while the revocation list is down: %v; want Unavailable (the client must not sign out, nor pass)", err)
	}
	if e.calls.Load() != 0 {
		t.Fatal("the call reached the handler while the session could not be checked")
	}
	e.store.down.Store(false)
	if _, err := client.GetMe(context.Background(), req); err != nil {
		t.Fatalf("GetMe once the list is back: %v", err)
	}
}
