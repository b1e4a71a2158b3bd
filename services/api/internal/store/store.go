// Package store is the api service's data layer: users and sessions, tasks, tags, the
// reminder schedule and the outbox, in the api's own PostgreSQL schema.
//
// Every query is scoped by the caller's user id in SQL. Generated sqlc types stay inside
// this package: callers get protobuf messages or small domain structs, and errors from
// package apierr (NotFound, AlreadyExists, Aborted, ...) or wrapped internal errors.
package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
)

// Schema is the PostgreSQL schema the api service owns.
const Schema = "api"

// Store reads and writes the api schema.
type Store struct {
	pool *pgxpool.Pool
	q    *apidb.Queries
	now  func() time.Time

	sessionMaxAge time.Duration
}

// New returns a Store on pool, whose connections must use Schema as search_path
// (pgschema.Pool does that).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: apidb.New(pool), now: time.Now, sessionMaxAge: DefaultSessionMaxAge}
}

// inTx runs fn in a transaction (tx, and q on it) and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx, q *apidb.Queries) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := fn(tx, s.q.WithTx(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// zones holds the time zones loaded so far, by name (a *time.Location each).
var zones sync.Map

// loadZone is time.LoadLocation, remembered: that reads and parses the zone's file on
// every call (about 20 allocations and file I/O, on every task write, under the user's
// change-sequence lock). Only zones that loaded are kept, so the map holds at most the
// few hundred names of the time zone database.
func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
