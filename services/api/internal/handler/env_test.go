package handler_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
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
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	apisql "github.com/taskmesh/taskmesh/sql/api"
)

// sharedDB is one migrated database for the package; tests isolate themselves by
// signing up fresh users (every query is per user). Tests that count rows of a global
// table (the outbox) use their own database (newEnv with ownDatabase).
var sharedDB string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, migrate, func(u string) { sharedDB = u })) }

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
	// revocations is the sessions' revocation list behind issuer; it can be taken down.
	revocations *revocationStore
	url         string
	deps        handler.Deps
}

type envOption func(*handler.Deps)

// withLimits replaces the (generous) default rate limits.
func withLimits(l handler.Limiters) envOption { return func(d *handler.Deps) { d.Limits = l } }

// testAppSecret is the app API token of the test api (what its sidecar would send).
var (
	testAppSecret   = strings.Repeat("test-app-token-", 3)
	testAppToken, _ = apptoken.New(testAppSecret)
)

// generousLimits are limits no test reaches unless it means to: sign-ups unlimited,
// failures counted as in production.
func generousLimits() handler.Limiters {
	return handler.Limiters{
		PerAddress: ratelimit.NewMemory(100000, time.Minute),
		Failures:   ratelimit.NewMemoryCounter(handler.FailureQuiet),
		Known:      ratelimit.NewMemoryCounter(handler.KnownFor),
	}
}

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
	revocations := &revocationStore{MemoryRevocations: authn.NewMemoryRevocations()}
	st := store.New(pool)
	// As services/api/main.go wires it: the api reads sessions from its own records and
	// writes sign-outs to the shared list.
	issuer := authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh", Revocations: authn.NewRevocations(
		authn.IssuerRevocations{Shared: revocations, IsRevoked: st.SessionRevoked}, 0)})
	deps := handler.Deps{
		Store:     st,
		Tokens:    issuer,
		Passwords: password.NewHasher(cheapHashes, 4),
		Limits:    generousLimits(),
		AppToken:  testAppToken,
		Log:       zerolog.Nop(),
	}
	for _, o := range opts {
		o(&deps)
	}
	url := rpctest.NewServer(t, handler.NewMux(deps))
	return &env{t: t, pool: pool, store: deps.Store, issuer: issuer, revocations: revocations, url: url, deps: deps}
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
func (e *env) anonymous(p rpctest.Protocol) *clients { return e.clientsWithToken(p, "") }

func (e *env) clientsWithToken(p rpctest.Protocol, token string) *clients {
	opts := append([]connect.ClientOption{}, p.Options...)
	if token != "" {
		opts = append(opts, connect.WithInterceptors(rpctest.Bearer(token)))
	}
	hc := p.HTTPClient()
	return &clients{
		token: token,
		auth:  authv1connect.NewAuthServiceClient(hc, e.url, opts...),
		tasks: taskv1connect.NewTaskServiceClient(hc, e.url, opts...),
		tags:  taskv1connect.NewTagServiceClient(hc, e.url, opts...),
	}
}

var userCounter atomic.Int64

// newUser signs up a fresh user through the API and returns its clients.
func (e *env) newUser(p rpctest.Protocol) *clients {
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
