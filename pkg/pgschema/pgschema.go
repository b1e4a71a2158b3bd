// Package pgschema gives each service its own PostgreSQL schema: it applies the service's
// embedded goose migrations there and opens pools whose search_path points there. Several
// services can share one database while each owns its tables, and splitting databases
// later is a change of connection string.
package pgschema

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Migrate creates schema if needed and applies every pending migration found in dir of fsys.
// Concurrent callers (several replicas starting at once) are serialized with an advisory
// lock. It returns an error naming the migration that failed.
func Migrate(ctx context.Context, databaseURL, schema string, fsys fs.FS, dir string) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("pgschema: invalid schema name %q", schema)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("pgschema: parse database URL: %w", err)
	}
	// Every migration and goose's own version table live in the service's schema; public
	// stays on the path for extensions.
	cfg.RuntimeParams["search_path"] = schema + ",public"
	db := stdlib.OpenDB(*cfg)
	defer db.Close()

	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("pgschema: connect: %w", err)
	}
	defer conn.Close()
	// Key the lock on the schema so different services migrate in parallel.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('taskmesh.migrate.' || $1))`, schema); err != nil {
		return fmt.Errorf("pgschema: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('taskmesh.migrate.' || $1))`, schema) //nolint:errcheck // released with the session anyway
	if _, err := conn.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("pgschema: create schema %s: %w", schema, err)
	}

	store, err := database.NewStore(goose.DialectPostgres, schema+".goose_db_version")
	if err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	provider, err := goose.NewProvider("", db, sub, goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		var perr *goose.PartialError
		if errors.As(err, &perr) && perr.Failed != nil {
			return fmt.Errorf("migrate schema %s: %s: %w", schema, perr.Failed.Source.Path, perr.Err)
		}
		return fmt.Errorf("migrate schema %s: %w", schema, err)
	}
	return nil
}

// Pool opens a pgx pool whose connections use schema (then public) as search_path and
// read and write github.com/google/uuid.UUID as uuid without going through text.
//
// The URL's pool settings apply (pgxpool.ParseConfig): pool_max_conns, for one, defaults
// to the larger of 4 and the number of CPUs.
func Pool(ctx context.Context, databaseURL, schema string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return pool, nil
}
