package handler_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	apisql "github.com/taskmesh/taskmesh/sql/api"
)

// sharedDB is one migrated database for the package; tests isolate themselves by
// signing up fresh users (every query is per user). Tests that count rows of a global
// table (the outbox) use their own database (newEnv with ownDatabase).
var sharedDB string

func TestMain(m *testing.M) {
	ctx := context.Background()
	url, drop, err := pgtest.Create(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer drop() //nolint:errcheck // best effort at exit
		if err := migrate(ctx, url); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		sharedDB = url
		return m.Run()
	}()
	os.Exit(code)
}

func migrate(ctx context.Context, url string) error {
	return pgschema.Migrate(ctx, url, store.Schema, apisql.Migrations, "migrations")
}

// cheapHashes keep sign-ups fast in tests; TestSignUpStoresOWASPHash checks the real cost.
var cheapHashes = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// env is a running api handler on a real database, reachable over HTTP/1.1 and h2c.
type env struct {
	t      testing.TB
	pool   *pgxpool.Pool
	store  *store.Store
	issuer *authn.Issuer
	url    string
	deps   handler.Deps
}

type envOption func(*handler.Deps)

// withLimits replaces the (generous) default rate limits.
func withLimits(l handler.Limiters) envOption { return func(d *handler.Deps) { d.Limits = l } }

// withPasswords replaces the cheap test hasher.
func withPasswords(h *password.Hasher) envOption { return func(d *handler.Deps) { d.Passwords = h } }

func newEnv(t testing.TB, opts ...envOption) *env { return newEnvOn(t, sharedDB, opts...) }

// newOwnEnv is newEnv on a database of the test's own.
func newOwnEnv(t testing.TB, opts ...envOption) *env {
	return newEnvOn(t, pgtest.NewDatabase(t, migrate), opts...)
}

func newEnvOn(t testing.TB, dbURL string, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgschema.Pool(ctx, dbURL, store.Schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	issuer := authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"})
	deps := handler.Deps{
		Store:     store.New(pool),
		Tokens:    issuer,
		Passwords: password.NewHasher(cheapHashes, 4),
		Limits: handler.Limiters{
			PerAccount: ratelimit.NewMemory(1000, time.Minute),
			PerAddress: ratelimit.NewMemory(100000, time.Minute),
		},
		Log: zerolog.Nop(),
	}
	for _, o := range opts {
		o(&deps)
	}
	srv := httptest.NewUnstartedServer(handler.NewMux(deps))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, pool: pool, store: deps.Store, issuer: issuer, url: srv.URL, deps: deps}
}

// protocol is one wire protocol the handlers must serve.
type protocol struct {
	name string
	opts []connect.ClientOption
}

// protocols are Connect (HTTP/1.1 JSON) and gRPC (h2c binary).
var protocols = []protocol{
	{name: "connect", opts: []connect.ClientOption{connect.WithProtoJSON()}},
	{name: "grpc", opts: []connect.ClientOption{connect.WithGRPC()}},
}

func (e *env) httpClient(p protocol) *http.Client {
	if p.name != "grpc" {
		return http.DefaultClient
	}
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

// clients are the api's service clients for one user (or anonymous) over one protocol.
type clients struct {
	userID uuid.UUID
	token  string
	auth   authv1connect.AuthServiceClient
	tasks  taskv1connect.TaskServiceClient
	tags   taskv1connect.TagServiceClient
}

// anonymous returns clients that send no access token.
func (e *env) anonymous(p protocol) *clients { return e.clientsWithToken(p, "") }

func (e *env) clientsWithToken(p protocol, token string) *clients {
	opts := append([]connect.ClientOption{}, p.opts...)
	if token != "" {
		opts = append(opts, connect.WithInterceptors(bearer(token)))
	}
	hc := e.httpClient(p)
	return &clients{
		token: token,
		auth:  authv1connect.NewAuthServiceClient(hc, e.url, opts...),
		tasks: taskv1connect.NewTaskServiceClient(hc, e.url, opts...),
		tags:  taskv1connect.NewTagServiceClient(hc, e.url, opts...),
	}
}

var userCounter atomic.Int64

// newUser signs up a fresh user through the API and returns its clients.
func (e *env) newUser(p protocol) *clients {
	e.t.Helper()
	email := fmt.Sprintf("user%d-%s@example.com", userCounter.Add(1), uuid.NewString()[:8])
	resp, err := e.anonymous(p).auth.SignUp(context.Background(), connect.NewRequest(&authv1.SignUpRequest{
		Email: email, Password: "correct horse battery", TimeZone: "Europe/Paris",
	}))
	if err != nil {
		e.t.Fatalf("sign up %s: %v", email, err)
	}
	c := e.clientsWithToken(p, resp.Msg.GetSession().GetAccessToken())
	c.userID = uuid.MustParse(resp.Msg.GetUser().GetId())
	return c
}

// bearer sends an access token on every call.
type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// wantCode fails the test unless err is a Connect error with code.
func wantCode(t testing.TB, err error, code connect.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success; want %v", code)
	}
	if got := connect.CodeOf(err); got != code {
		t.Fatalf("got %v (%v); want %v", got, err, code)
	}
}

// msg returns the message of a response, or nil on error: generated getters accept nil,
// so `msg(c.GetTask(ctx, req)).GetTask()` is safe whatever happened.
func msg[T any](resp *connect.Response[T], err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}
