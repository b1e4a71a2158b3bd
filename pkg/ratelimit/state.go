package ratelimit

import (
	"context"
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
