// Package startup is how every Taskmesh service starts and stops: its logger, its own Dapr
// sidecar, its settings and secrets, its schema and pool, its token keys, its port, and
// the order in which things close.
//
// A service's run function begins a Service, asks it for what it needs, and ends with
// Serve; deferring Close shuts down in the right order: the server has drained when Serve
// returns, then whatever was opened is closed, last opened first (outbox relay, Dapr
// callbacks, then the database pool, then the sidecar client).
package startup

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/dapr/sidecar"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// RunFunc is a service's run function: it serves until ctx ends. When ready is not nil
// it receives the listening address once the service accepts requests.
type RunFunc func(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error

// ErrMigrated is returned by Database when MIGRATE_ONLY=true, once the migrations are
// applied: the process should exit successfully (a Kubernetes Job or init step that
// migrates before the services start).
var ErrMigrated = errors.New("migrations applied (MIGRATE_ONLY)")

// Main runs a service's run function until SIGINT or SIGTERM and exits: 0 after a clean
// shutdown or a MIGRATE_ONLY run, 1 with the error on stderr otherwise.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout, nil)
	stop()
	if err != nil && !errors.Is(err, ErrMigrated) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Sidecar says whether a service needs its Dapr sidecar.
type Sidecar struct {
	required bool
	without  string
}

// RequireSidecar is for services that cannot work without their sidecar.
func RequireSidecar() Sidecar { return Sidecar{required: true} }

// OptionalSidecar is for services that can serve without their sidecar; without says
// what they do then (logged as a warning).
func OptionalSidecar(without string) Sidecar { return Sidecar{without: without} }

// Service is a starting service.
type Service struct {
	// Log is the service's one logger.
	Log zerolog.Logger
	// Sidecar is the connected Dapr sidecar; nil when the service runs without one.
	Sidecar *sidecar.Sidecar
	// AppToken is the app API token its sidecar sends with every call to the app (see
	// package apptoken); mesh-only methods and Dapr's callbacks require it. Zero when
	// there is no sidecar: then they refuse every call.
	AppToken apptoken.Token

	name        string
	getenv      func(string) string
	migrateOnly bool
	closers     []func()
}

// Begin sets up the logger (LOG_LEVEL, LOG_FORMAT) and connects the sidecar
// (DAPR_GRPC_PORT), except with MIGRATE_ONLY=true, which needs only the database.
func Begin(ctx context.Context, name string, getenv func(string) string, stdout io.Writer, sc Sidecar) (*Service, error) {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), name)
	if err != nil {
		return nil, err
	}
	s := &Service{Log: log, name: name, getenv: getenv, migrateOnly: getenv("MIGRATE_ONLY") == "true"}
	if s.migrateOnly {
		return s, nil
	}
	// A service with a sidecar serves Dapr's callbacks, and maybe mesh-only methods:
	// without the app API token they could not tell the sidecar from any other client, so
	// refuse to start (before waiting for the sidecar) rather than run open or refuse
	// every event.
	if sidecar.Addr(getenv) != "" {
		if s.AppToken, err = apptoken.FromEnv(getenv); err != nil {
			return nil, err
		}
	}
	conn, err := sidecar.Connect(ctx, getenv, 30*time.Second, log)
	switch {
	case errors.Is(err, sidecar.ErrNotConfigured) && !sc.required:
		log.Warn().Msg("no Dapr sidecar: " + sc.without)
	case err != nil:
		return nil, err
	default:
		s.Sidecar = conn
		s.OnClose(conn.Close)
	}
	return s, nil
}

// OnClose registers fn to run at Close (last registered, first run).
func (s *Service) OnClose(fn func()) { s.closers = append(s.closers, fn) }

// Close runs the registered closers, last registered first. Defer it right after Begin.
func (s *Service) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// Env returns the environment variable key, or def when it is empty.
func (s *Service) Env(key, def string) string {
	if v := s.getenv(key); v != "" {
		return v
	}
	return def
}

// Setting returns a setting from the environment (env, or the file named by env_FILE) or
// else from the sidecar's secret store (secret).
func (s *Service) Setting(ctx context.Context, env, secret string) (string, error) {
	return sidecar.Setting(ctx, s.getenv, s.Sidecar, env, secret)
}

// Database applies the service's migrations (embedded in migrations, folder
// "migrations") to its own schema and opens a pool on it, closed at Close. The URL is
// DATABASE_URL[_FILE] or the secret "database-url". With MIGRATE_ONLY=true it returns
// ErrMigrated once the migrations are applied.
func (s *Service) Database(ctx context.Context, schema string, migrations fs.FS) (*pgxpool.Pool, error) {
	url, err := s.Setting(ctx, "DATABASE_URL", meshnames.DatabaseURLSecret)
	if err != nil {
		return nil, err
	}
	if err := pgschema.Migrate(ctx, url, schema, migrations, "migrations"); err != nil {
		return nil, err
	}
	if s.migrateOnly {
		s.Log.Info().Str("schema", schema).Msg("migrations applied; MIGRATE_ONLY is set, exiting")
		return nil, ErrMigrated
	}
	pool, err := pgschema.Pool(ctx, url, schema)
	if err != nil {
		return nil, err
	}
	s.OnClose(pool.Close)
	return pool, nil
}

// TokenConfig is the access tokens' issuer and audience (AUTH_ISSUER, AUTH_AUDIENCE;
// both default to "taskmesh").
func (s *Service) TokenConfig() authn.Config {
	return authn.Config{Issuer: s.Env("AUTH_ISSUER", "taskmesh"), Audience: s.Env("AUTH_AUDIENCE", "taskmesh")}
}

// Verifier checks access tokens with the key set AUTH_VERIFY_KEY[_FILE] or the secret
// "auth-verify-key" (PEM Ed25519 public keys, one after another; a private key is
// refused: a service that only verifies must not hold the signing key), and checks the
// sessions' revocation list (see revocations). Ask for it before Database, so that a bad
// key fails the start before anything is migrated; with MIGRATE_ONLY=true it returns
// nil, nil (only the database is needed).
func (s *Service) Verifier(ctx context.Context) (*authn.Verifier, error) {
	if s.migrateOnly {
		return nil, nil
	}
	keys, err := s.verifyKeys(ctx)
	if err != nil {
		return nil, err
	}
	cfg := s.TokenConfig()
	// Behind a cache of authn.DefaultRevocationCache: the bound on how long a signed-out
	// session's token still works here.
	cfg.Revocations = authn.NewRevocations(s.SharedRevocations(), 0)
	return authn.NewVerifier(keys, cfg), nil
}

func (s *Service) verifyKeys(ctx context.Context) ([]ed25519.PublicKey, error) {
	pemText, err := s.Setting(ctx, "AUTH_VERIFY_KEY", meshnames.VerifyKeySecret)
	if err != nil {
		return nil, err
	}
	keys, err := authn.ParsePublicKeys([]byte(pemText))
	if err != nil {
		return nil, fmt.Errorf("AUTH_VERIFY_KEY: %w", err)
	}
	return keys, nil
}

// Issuer signs access tokens with AUTH_SIGNING_KEY[_FILE] or the secret
// "auth-signing-key" (a PEM Ed25519 private key), and accepts tokens signed by it or by
// any key of the set that Verifier reads (needed while keys rotate). Its revocation list
// is revocations (the sessions' owner reads its own records: authn.IssuerRevocations), or
// SharedRevocations when nil. Like Verifier, ask for it before Database; with
// MIGRATE_ONLY=true it returns nil, nil.
func (s *Service) Issuer(ctx context.Context, revocations authn.RevocationStore) (*authn.Issuer, error) {
	if s.migrateOnly {
		return nil, nil
	}
	pemText, err := s.Setting(ctx, "AUTH_SIGNING_KEY", meshnames.SigningKeySecret)
	if err != nil {
		return nil, err
	}
	priv, err := authn.LoadPrivateKey([]byte(pemText))
	if err != nil {
		return nil, fmt.Errorf("AUTH_SIGNING_KEY: %w", err)
	}
	keys, err := s.verifyKeys(ctx)
	if err != nil {
		return nil, err
	}
	if revocations == nil {
		revocations = s.SharedRevocations()
	}
	cfg := s.TokenConfig()
	cfg.Revocations = authn.NewRevocations(revocations, 0)
	return authn.NewIssuer(priv, cfg, keys...), nil
}

// Dapr mounts Dapr's app callbacks on mux (topic events, bindings, app health asking
// healthy, which may be nil) and returns the App to register handlers on; it is stopped
// at Close. Without a sidecar it returns nil.
func (s *Service) Dapr(mux *http.ServeMux, healthy func(context.Context) error) *appcallback.App {
	if s.Sidecar == nil {
		return nil
	}
	app := appcallback.New(s.Log, s.Sidecar.Publisher(), healthy)
	app.Mount(mux, s.AppToken)
	s.OnClose(app.Stop)
	return app
}

// Relay publishes the outbox of schema in pool through the sidecar until Close. Without
// a sidecar it does nothing: events wait in the outbox.
func (s *Service) Relay(pool *pgxpool.Pool, schema string) {
	if s.Sidecar == nil {
		return
	}
	relay := outbox.NewRelay(pool, s.Sidecar.Publisher(), outbox.Config{Schema: schema, PubSub: meshnames.PubSub}, s.Log)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	s.OnClose(func() { stop(); <-done })
}

// Every runs fn every interval (the first time one interval after the start) until
// Close; a failure is logged and the next run comes at the next interval. For upkeep such
// as purging old rows.
func (s *Service) Every(interval time.Duration, what string, fn func(context.Context) error) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					s.Log.Warn().Err(err).Msg(what + " failed")
				}
			}
		}
	}()
	s.OnClose(func() { stop(); <-done })
}

// LedgerRetention is how long services remember the events they handled (their
// processed-event ledgers). Redeliveries come within minutes; past this, a redelivery is
// still harmless because every effect is idempotent on its own.
const LedgerRetention = 7 * 24 * time.Hour

// Serve listens on ADDR (default defaultAddr) and serves h until ctx ends, then drains
// in-flight requests and returns (the caller's deferred Close does the rest).
func (s *Service) Serve(ctx context.Context, h http.Handler, defaultAddr string, ready chan<- net.Addr) error {
	addr := s.Env("ADDR", defaultAddr)
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, h, s.Log)
}
