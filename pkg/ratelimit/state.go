package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	dapr "github.com/dapr/go-sdk/client"
)

// StateStore is the part of the Dapr client that State uses.
type StateStore interface {
	GetState(ctx context.Context, storeName, key string, meta map[string]string) (*dapr.StateItem, error)
	SaveStateWithETag(ctx context.Context, storeName, key string, data []byte, etag string, meta map[string]string, so ...dapr.StateOption) error
}

// State is a fixed-window Limiter whose counters live in a Dapr state store, so that all
// replicas of a service share them. Each window's counter is one key that expires with
// the window (ttlInSeconds); increments use the state store's ETags (first-write
// concurrency), so concurrent replicas never lose a count.
type State struct {
	store  StateStore
	name   string
	prefix string
	limit  int
	window time.Duration
	now    func() time.Time
}

// NewState returns a State limiter allowing limit events per key per window, keeping its
// counters in the Dapr state store storeName under keys starting with prefix.
func NewState(store StateStore, storeName, prefix string, limit int, per time.Duration) *State {
	return &State{store: store, name: storeName, prefix: prefix, limit: limit, window: per, now: time.Now}
}

// maxAttempts bounds the optimistic-concurrency retries of one Allow.
const maxAttempts = 8

// Allow implements Limiter. It returns an error when the state store cannot be reached
// or stays contended.
func (s *State) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := s.now()
	start := now.Truncate(s.window)
	stateKey := s.prefix + key + ":" + strconv.FormatInt(start.Unix(), 10)
	ttl := map[string]string{"ttlInSeconds": strconv.Itoa(int(s.window.Seconds()) + 1)}
	var lastErr error
	for range maxAttempts {
		item, err := s.store.GetState(ctx, s.name, stateKey, nil)
		if err != nil {
			return false, 0, fmt.Errorf("rate limit: read %s: %w", stateKey, err)
		}
		count := 0
		if item != nil && len(item.Value) > 0 {
			if count, err = strconv.Atoi(string(item.Value)); err != nil {
				return false, 0, fmt.Errorf("rate limit: counter %s holds %q", stateKey, item.Value)
			}
		}
		if count >= s.limit {
			return false, start.Add(s.window).Sub(now), nil
		}
		etag := ""
		if item != nil {
			etag = item.Etag
		}
		err = s.store.SaveStateWithETag(ctx, s.name, stateKey, []byte(strconv.Itoa(count+1)), etag, ttl,
			dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
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
