package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/taskmesh/taskmesh/pkg/dapr/state"
)

// etagStore is an in-memory StateStore with first-write ETag semantics, as the Dapr
// state store behaves; beforeSave runs before each conditional write (another replica
// counting in between, say).
type etagStore struct {
	mu         sync.Mutex
	items      map[string]state.Item
	ttls       map[string]time.Duration
	beforeSave func(s *etagStore, key string)
}

func (s *etagStore) Get(_ context.Context, key string) (state.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.items[key], nil
}

func (s *etagStore) SaveIfUnchanged(_ context.Context, key string, value []byte, etag string, ttl time.Duration) error {
	if s.beforeSave != nil {
		s.beforeSave(s, key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.items[key].ETag != etag {
		return errors.New("etag mismatch")
	}
	n, _ := strconv.Atoi(s.items[key].ETag)
	s.items[key] = state.Item{Value: value, ETag: strconv.Itoa(n + 1)}
	s.ttls[key] = ttl
	return nil
}

func newEtagStore() *etagStore {
	return &etagStore{items: map[string]state.Item{}, ttls: map[string]time.Duration{}}
}

func TestStateCountsThroughTheStoreAndRereadsOnConflict(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	store := newEtagStore()
	l := NewState(store, "rl:", 3, time.Minute)
	l.now = func() time.Time { return now }
	ctx := context.Background()

	// Another replica counts once between our read and our write: we lose the race,
	// read again and count on top of theirs.
	raced := false
	store.beforeSave = func(s *etagStore, key string) {
		if raced {
			return
		}
		raced = true
		s.mu.Lock()
		s.items[key] = state.Item{Value: []byte("1"), ETag: "1"}
		s.mu.Unlock()
	}
	for i, want := range []bool{true, true, false} {
		ok, retry, err := l.Allow(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if ok != want {
			t.Fatalf("event %d: ok = %v; want %v (the other replica's count included)", i+1, ok, want)
		}
		if !ok && retry != 50*time.Second {
			t.Fatalf("retry after %v; want 50s (the rest of the window)", retry)
		}
	}
	key := "rl:a:" + strconv.FormatInt(now.Truncate(time.Minute).Unix(), 10)
	if got := string(store.items[key].Value); got != "3" {
		t.Fatalf("counter %s = %q; want 3", key, got)
	}
	if store.ttls[key] <= time.Minute {
		t.Fatalf("counter expires after %v; want it to outlive the minute window", store.ttls[key])
	}

	// A store that never lets a write through: an error, not an admission.
	store.beforeSave = func(s *etagStore, key string) {
		s.mu.Lock()
		s.items[key] = state.Item{Value: []byte("0"), ETag: "x" + s.items[key].ETag}
		s.mu.Unlock()
	}
	if ok, _, err := l.Allow(ctx, "b"); ok || err == nil {
		t.Fatalf("Allow on a store that stays contended = %v, %v; want an error", ok, err)
	}
}
