package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/taskmesh/taskmesh/pkg/dapr/state"
)

// StateStore is the shared store State keeps its counters in; *state.Store (a Dapr state
// store through the sidecar) is one.
type StateStore interface {
	Get(ctx context.Context, key string) (state.Item, error)
	SaveIfUnchanged(ctx context.Context, key string, value []byte, etag string, ttl time.Duration) error
}

// State is a fixed-window Limiter whose counters live in a Dapr state store, so that all
// replicas of a service share them. Each window's counter is one key that expires with
// the window (ttlInSeconds); increments use the state store's ETags (first-write
// concurrency), so concurrent replicas never lose a count.
type State struct {
	store  StateStore
	prefix string
	limit  int
	window time.Duration
	now    func() time.Time
}

// NewState returns a State limiter allowing limit events per key per window, keeping its
// counters in store under keys starting with prefix.
func NewState(store StateStore, prefix string, limit int, per time.Duration) *State {
	return &State{store: store, prefix: prefix, limit: limit, window: per, now: time.Now}
}

// maxAttempts bounds the optimistic-concurrency retries of one Allow.
const maxAttempts = 8

// Allow implements Limiter. It returns an error when the state store cannot be reached
// or stays contended.
func (s *State) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := s.now()
	start := now.Truncate(s.window)
	stateKey := s.prefix + key + ":" + strconv.FormatInt(start.Unix(), 10)
	ttl := s.window + time.Second // outlive the window, whatever the clocks
	var lastErr error
	for range maxAttempts {
		item, err := s.store.Get(ctx, stateKey)
		if err != nil {
			return false, 0, fmt.Errorf("rate limit: %w", err)
		}
		count := 0
		if len(item.Value) > 0 {
			if count, err = strconv.Atoi(string(item.Value)); err != nil {
				return false, 0, fmt.Errorf("rate limit: counter %s holds %q", stateKey, item.Value)
			}
		}
		if count >= s.limit {
			return false, start.Add(s.window).Sub(now), nil
		}
		err = s.store.SaveIfUnchanged(ctx, stateKey, []byte(strconv.Itoa(count+1)), item.ETag, ttl)
		if err == nil {
			return true, 0, nil
		}
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		lastErr = err // most likely another replica counted first: read again
	}
	return false, 0, errors.Join(errors.New("rate limit: counter stays contended"), lastErr)
}

// StateCounter is a Counter whose records live in a Dapr state store, shared by every
// replica. A record is one key that expires a quiet period after its last event (the
// state store's TTL); updates use ETags, so concurrent replicas never lose an event.
type StateCounter struct {
	store  StateStore
	prefix string
	quiet  time.Duration
	now    func() time.Time
}

// NewStateCounter returns a StateCounter keeping its records in store under keys
// starting with prefix, each forgotten quiet after its last event.
func NewStateCounter(store StateStore, prefix string, quiet time.Duration) *StateCounter {
	return &StateCounter{store: store, prefix: prefix, quiet: quiet, now: time.Now}
}

type stateRecord struct {
	N    int   `json:"n"`
	Last int64 `json:"last"` // Unix milliseconds
}

func (s *StateCounter) read(ctx context.Context, key string) (Record, string, error) {
	item, err := s.store.Get(ctx, s.prefix+key)
	if err != nil {
		return Record{}, "", fmt.Errorf("rate limit: %w", err)
	}
	if len(item.Value) == 0 {
		return Record{}, item.ETag, nil
	}
	var r stateRecord
	if err := json.Unmarshal(item.Value, &r); err != nil {
		return Record{}, "", fmt.Errorf("rate limit: record %s holds %q", s.prefix+key, item.Value)
	}
	rec := Record{N: r.N, Last: time.UnixMilli(r.Last)}
	if s.now().Sub(rec.Last) >= s.quiet { // expired, whether or not the store dropped it yet
		rec = Record{}
	}
	return rec, item.ETag, nil
}

// Get implements Counter.
func (s *StateCounter) Get(ctx context.Context, key string) (Record, error) {
	rec, _, err := s.read(ctx, key)
	return rec, err
}

// Add implements Counter.
func (s *StateCounter) Add(ctx context.Context, key string) (Record, error) {
	return s.update(ctx, key, func(r Record) Record { return Record{N: r.N + 1, Last: s.now()} })
}

// Reset implements Counter.
func (s *StateCounter) Reset(ctx context.Context, key string) error {
	_, err := s.update(ctx, key, func(Record) Record { return Record{} })
	return err
}

func (s *StateCounter) update(ctx context.Context, key string, next func(Record) Record) (Record, error) {
	var lastErr error
	for range maxAttempts {
		rec, etag, err := s.read(ctx, key)
		if err != nil {
			return Record{}, err
		}
		rec = next(rec)
		value, _ := json.Marshal(stateRecord{N: rec.N, Last: rec.Last.UnixMilli()})
		ttl := s.quiet
		if rec.N == 0 {
			ttl = time.Second // a reset: let the store drop the key soon
		}
		err = s.store.SaveIfUnchanged(ctx, s.prefix+key, value, etag, ttl)
		if err == nil {
			return rec, nil
		}
		if ctx.Err() != nil {
			return Record{}, ctx.Err()
		}
		lastErr = err // most likely another replica wrote first: read again
	}
	return Record{}, errors.Join(errors.New("rate limit: record stays contended"), lastErr)
}
