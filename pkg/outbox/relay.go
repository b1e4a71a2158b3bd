// Package outbox publishes a service's transactional outbox to Dapr pub/sub.
//
// A service writes each outgoing event into its own schema's outbox table in the same
// transaction as the change it announces, so an acknowledged change always has its event.
// The Relay then publishes rows in commit order and marks them published only after Dapr
// accepted them; if the process dies in between, the rows are published again on restart
// (at-least-once: consumers deduplicate on the event id, which is the row id and the
// CloudEvent id). Replicas claim rows with FOR UPDATE SKIP LOCKED, so in the normal case a
// row is published once. The relay wakes on NOTIFY "<schema>.outbox" (sent by a trigger
// at commit) and polls slowly as a safety net.
//
// The package owns both halves of the outbox: its table (migration.sql, added to a
// service's migrations by WithMigration) and Insert write it, the Relay reads it.
package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
)

// Config tunes a Relay; zero values take the defaults.
type Config struct {
	Schema         string        // the service's schema (required)
	PubSub         string        // the Dapr pub/sub component (required)
	Batch          int           // rows per claim, default 100
	Poll           time.Duration // safety-net poll interval, default 5s
	PublishTimeout time.Duration // per event, default 10s
	Retain         time.Duration // how long published rows are kept, default 24h
}

// Relay publishes outbox rows; see the package doc.
type Relay struct {
	pool *pgxpool.Pool
	pub  publish.Publisher
	cfg  Config
	log  zerolog.Logger
}

// NewRelay returns a Relay publishing pool's outbox through pub.
func NewRelay(pool *pgxpool.Pool, pub publish.Publisher, cfg Config, log zerolog.Logger) *Relay {
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 10 * time.Second
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 24 * time.Hour
	}
	return &Relay{pool: pool, pub: pub, cfg: cfg, log: log.With().Str("component", "outbox-relay").Logger()}
}

// Channel is the NOTIFY channel of schema's outbox.
func Channel(schema string) string { return schema + ".outbox" }

// Run publishes until ctx ends. Errors (database or broker down) are logged and retried
// with backoff; Run returns only when ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go r.listen(ctx, wake)
	backoff := time.Duration(0)
	lastPurge := time.Time{}
	for {
		n, err := r.Drain(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			r.log.Warn().Err(err).Dur("retry_in", backoff).Msg("publishing the outbox failed")
		default:
			backoff = 0
		}
		if time.Since(lastPurge) > time.Hour {
			if err := r.purge(ctx); err != nil {
				r.log.Warn().Err(err).Msg("purging published outbox rows failed")
			}
			lastPurge = time.Now()
		}
		if err == nil && n == r.cfg.Batch {
			continue // more may be waiting
		}
		wait := r.cfg.Poll
		if backoff > 0 {
			wait = backoff
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			if backoff > 0 { // don't let notifications defeat the backoff
				time.Sleep(min(backoff, time.Second))
			}
		case <-time.After(wait):
		}
	}
}

// listen holds a LISTEN connection and signals wake on each notification, reconnecting
// when the connection breaks.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn().Err(err).Msg("outbox LISTEN connection lost; polling until it is back")
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel(r.cfg.Schema)}.Sanitize()); err != nil {
		return err
	}
	// A conn with LISTEN must not go back to the pool listening.
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *") //nolint:errcheck // best effort
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

type row struct {
	seq     int64
	id      uuid.UUID
	topic   string
	payload []byte
}

// Drain claims up to one batch of unpublished rows, publishes them in order, and marks
// the published ones. It returns how many it published.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	rows, err := tx.Query(ctx, `SELECT seq, id, topic, payload FROM outbox
		WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, r.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim outbox rows: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(rw pgx.CollectableRow) (row, error) {
		var x row
		err := rw.Scan(&x.seq, &x.id, &x.topic, &x.payload)
		return x, err
	})
	if err != nil {
		return 0, fmt.Errorf("claim outbox rows: %w", err)
	}
	var published []int64
	var pubErr error
	for _, x := range claimed {
		if pubErr = r.publish(ctx, x); pubErr != nil {
			break // keep order: later rows wait for this one
		}
		published = append(published, x.seq)
	}
	if len(published) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE outbox SET published_at = now() WHERE seq = ANY($1)`, published); err != nil {
			return 0, fmt.Errorf("mark outbox rows published: %w", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return 0, fmt.Errorf("commit: %w", err)
		}
	}
	return len(published), pubErr
}

func (r *Relay) publish(ctx context.Context, x row) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	err := r.pub.Publish(ctx, publish.Message{PubSub: r.cfg.PubSub, Topic: x.topic, Data: x.payload,
		ContentType: "application/json", ID: x.id.String()})
	if err != nil {
		return fmt.Errorf("publish %s event %s: %w", x.topic, x.id, err)
	}
	return nil
}

func (r *Relay) purge(ctx context.Context) error {
	_, err := r.pool.Exec(ctx, `DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)`, r.cfg.Retain.Seconds())
	return err
}
