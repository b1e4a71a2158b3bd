// Package pgtest gives tests a fresh, real PostgreSQL database of their own that is
// dropped when the test ends. The server comes from TASKMESH_TEST_DATABASE_URL, or the
// local default postgres://postgres@127.0.0.1:5432/postgres.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskmesh/taskmesh/pkg/pgschema"
)

// DefaultServerURL is the local PostgreSQL that the development machines run.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the server tests create their databases on.
func ServerURL() string {
	if u := os.Getenv("TASKMESH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultServerURL
}

// NewDatabase creates an empty database, runs setup on its URL (typically migrations),
// and returns the URL. The database is dropped, connections and all, when tb ends.
func NewDatabase(tb testing.TB, setup func(ctx context.Context, databaseURL string) error) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL, drop, err := Create(ctx)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	if setup != nil {
		if err := setup(ctx, dbURL); err != nil {
			tb.Fatalf("pgtest: set up %s: %v", dbURL, err)
		}
	}
	return dbURL
}

// Create makes a database with a random name on ServerURL and returns its URL and a
// function that drops it. For TestMain, where there is no testing.TB.
func Create(ctx context.Context) (databaseURL string, drop func() error, err error) {
	server := ServerURL()
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, fmt.Errorf("parse %s: %w", server, err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "taskmesh_test_" + hex.EncodeToString(suffix)

	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s (is PostgreSQL running?): %w", u.Redacted(), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, server)
		if err != nil {
			return fmt.Errorf("drop %s: %w", name, err)
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop %s: %w", name, err)
		}
		return nil
	}
	return u.String(), drop, nil
}

// Main is the body of a TestMain that shares one database across a package's tests: it
// creates the database, runs setup on its URL (typically migrations; nil for none), hands
// the URL to use, runs the tests and drops the database. It returns the exit code for
// os.Exit, 1 if the database could not be made ready; errors are printed on stderr.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, migrate, func(u string) { sharedDB = u })) }
func Main(m *testing.M, setup func(ctx context.Context, url string) error, use func(url string)) int {
	ctx := context.Background()
	dbURL, drop, err := Create(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}()
	if setup != nil {
		if err := setup(ctx, dbURL); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: set up %s: %v\n", dbURL, err)
			return 1
		}
	}
	if use != nil {
		use(dbURL)
	}
	return m.Run()
}

// Migrations returns a setup for Main or NewDatabase that applies the migrations in
// directory "migrations" of fsys into schema, as the service applies them at start.
func Migrations(schema string, fsys fs.FS) func(ctx context.Context, databaseURL string) error {
	return func(ctx context.Context, databaseURL string) error {
		return pgschema.Migrate(ctx, databaseURL, schema, fsys, "migrations")
	}
}

// Pool opens a pool on schema of the database at databaseURL, as the service opens its
// own, and closes it when tb ends.
func Pool(tb testing.TB, databaseURL, schema string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgschema.Pool(context.Background(), databaseURL, schema)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}
