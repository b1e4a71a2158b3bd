// Package state is the app reading and writing a Dapr state store through its own
// sidecar, for values that every replica of a service shares (the rate-limit counters,
// the sessions' revocation list).
// Writes are conditional on the ETag read (first-write concurrency), so concurrent
// replicas never overwrite each other's change unseen.
package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	dapr "github.com/dapr/go-sdk/client"
)

// Item is a stored value and the ETag of that version; a missing key reads as an Item
// with no Value and no ETag.
type Item struct {
	Value []byte
	ETag  string
}

// Store is one Dapr state store component.
type Store struct {
	client dapr.Client
	name   string
}

// New returns the state store component name, reached through client.
func New(client dapr.Client, name string) *Store { return &Store{client: client, name: name} }

// Get reads key. It returns an error only when the store cannot be read.
func (s *Store) Get(ctx context.Context, key string) (Item, error) {
	it, err := s.client.GetState(ctx, s.name, key, nil)
	if err != nil {
		return Item{}, fmt.Errorf("read %s from state store %s: %w", key, s.name, err)
	}
	if it == nil {
		return Item{}, nil
	}
	return Item{Value: it.Value, ETag: it.Etag}, nil
}

// Save writes value under key, to expire after ttl (rounded up to whole seconds), whatever
// the key held before (last write wins).
func (s *Store) Save(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	secs := int((ttl + time.Second - 1) / time.Second)
	err := s.client.SaveState(ctx, s.name, key, value, map[string]string{"ttlInSeconds": strconv.Itoa(secs)})
	if err != nil {
		return fmt.Errorf("write %s to state store %s: %w", key, s.name, err)
	}
	return nil
}

// SaveIfUnchanged writes value under key, to expire after ttl (rounded up to whole
// seconds), provided key is still at etag ("" for a key that did not exist). It returns
// an error when the key changed since (another writer came first: read again) or the
// store cannot be written.
func (s *Store) SaveIfUnchanged(ctx context.Context, key string, value []byte, etag string, ttl time.Duration) error {
	secs := int((ttl + time.Second - 1) / time.Second)
	err := s.client.SaveStateWithETag(ctx, s.name, key, value, etag,
		map[string]string{"ttlInSeconds": strconv.Itoa(secs)},
		dapr.WithConcurrency(dapr.StateConcurrencyFirstWrite))
	if err != nil {
		return fmt.Errorf("write %s to state store %s: %w", key, s.name, err)
	}
	return nil
}
