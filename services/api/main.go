// Command api is Taskmesh's api service: accounts and sessions (AuthService), tasks
// (TaskService) and tags (TagService), over Connect, gRPC and gRPC-Web on one port. Every
// change is written with its events to an outbox in the same transaction.
//
// Configuration comes from the environment:
//
//	DATABASE_URL           PostgreSQL URL (required)
//	ADDR                   listen address (default :8081)
//	AUTH_SIGNING_KEY_FILE  PEM Ed25519 private key signing access tokens (required)
//	AUTH_ISSUER            token issuer (default taskmesh)
//	AUTH_AUDIENCE          token audience (default taskmesh)
//	LOG_LEVEL              debug, info, warn or error (default info)
//	LOG_FORMAT             json or console (default json)
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/logging"
	"github.com/taskmesh/taskmesh/pkg/password"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/ratelimit"
	"github.com/taskmesh/taskmesh/pkg/server"
	"github.com/taskmesh/taskmesh/services/api/internal/handler"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	apisql "github.com/taskmesh/taskmesh/sql/api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

type config struct {
	databaseURL, addr, keyFile, issuer, audience string
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		databaseURL: getenv("DATABASE_URL"),
		addr:        getenv("ADDR"),
		keyFile:     getenv("AUTH_SIGNING_KEY_FILE"),
		issuer:      getenv("AUTH_ISSUER"),
		audience:    getenv("AUTH_AUDIENCE"),
	}
	if c.addr == "" {
		c.addr = ":8081"
	}
	if c.issuer == "" {
		c.issuer = "taskmesh"
	}
	if c.audience == "" {
		c.audience = "taskmesh"
	}
	if c.databaseURL == "" {
		return c, fmt.Errorf("DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/taskmesh)")
	}
	if c.keyFile == "" {
		return c, fmt.Errorf("AUTH_SIGNING_KEY_FILE is not set (create one with: openssl genpkey -algorithm ed25519 -out key.pem)")
	}
	return c, nil
}

// run starts the service and blocks until ctx ends, then shuts down gracefully. When
// ready is not nil it receives the listening address once the service accepts requests.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error {
	log, err := logging.New(stdout, getenv("LOG_LEVEL"), getenv("LOG_FORMAT"), "api")
	if err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	key, err := authn.LoadPrivateKeyFile(cfg.keyFile)
	if err != nil {
		return err
	}
	if err := pgschema.Migrate(ctx, cfg.databaseURL, store.Schema, apisql.Migrations, "migrations"); err != nil {
		return err
	}
	pool, err := pgschema.Pool(ctx, cfg.databaseURL, store.Schema)
	if err != nil {
		return err
	}
	defer pool.Close() // last: after the server has drained

	mux := handler.NewMux(handler.Deps{
		Store:     store.New(pool),
		Tokens:    authn.NewIssuer(key, authn.Config{Issuer: cfg.issuer, Audience: cfg.audience}),
		Passwords: password.NewHasher(password.OWASP, runtime.GOMAXPROCS(0)),
		Limits: handler.Limiters{
			PerAccount: ratelimit.NewMemory(10, time.Minute),
			PerAddress: ratelimit.NewMemory(30, time.Minute),
		},
		Log: log,
	})
	lis, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	if ready != nil {
		ready <- lis.Addr()
	}
	return server.Serve(ctx, lis, mux, log)
}
