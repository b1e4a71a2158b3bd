package authn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultRevocationCache is how long a verifier trusts its last answer about a session.
// It is the bound on how long a signed-out session's access token still works on a
// replica that had just checked it: at most this long after the sign-out returned.
const DefaultRevocationCache = time.Second

// ErrRevocationsUnavailable wraps the errors of a revocation list that cannot be read or
// written.
var ErrRevocationsUnavailable = errors.New("session revocation list unavailable")

// RevocationStore keeps the ended sessions, shared by every verifier of the mesh (the
// Dapr state store, StateRevocations; MemoryRevocations within one process).
type RevocationStore interface {
	// Revoke records sessionID as ended for ttl (after which none of its tokens is valid
	// anyway, so it may be forgotten).
	Revoke(ctx context.Context, sessionID uuid.UUID, ttl time.Duration) error
	// Revoked reports whether sessionID is recorded as ended.
	Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error)
}

// Revocations is the revocation list as a verifier reads it: a RevocationStore behind a
// short in-process cache, so that a burst of requests of one session costs one read of
// the store per cache period.
type Revocations struct {
	store RevocationStore
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	cache   map[uuid.UUID]cached
	sweepAt time.Time
}

type cached struct {
	revoked bool
	until   time.Time
}

// NewRevocations returns the list kept in store, with answers cached for cacheFor
// (DefaultRevocationCache when <= 0).
func NewRevocations(store RevocationStore, cacheFor time.Duration) *Revocations {
	if cacheFor <= 0 {
		cacheFor = DefaultRevocationCache
	}
	return &Revocations{store: store, ttl: cacheFor, now: time.Now, cache: map[uuid.UUID]cached{}}
}

// CacheFor is how long an answer is cached: the bound on how late a revocation is seen.
func (r *Revocations) CacheFor() time.Duration { return r.ttl }

// Revoke records sessionID as ended for ttl, in the store and at once in this process's
// cache.
func (r *Revocations) Revoke(ctx context.Context, sessionID uuid.UUID, ttl time.Duration) error {
	if err := r.store.Revoke(ctx, sessionID, ttl); err != nil {
		return fmt.Errorf("%w: revoke session %s: %w", ErrRevocationsUnavailable, sessionID, err)
	}
	r.put(sessionID, true, r.now().Add(ttl))
	return nil
}

// Revoked reports whether sessionID has ended, as of at most CacheFor ago.
func (r *Revocations) Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	now := r.now()
	r.mu.Lock()
	c, ok := r.cache[sessionID]
	r.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.revoked, nil
	}
	revoked, err := r.store.Revoked(ctx, sessionID)
	if err != nil {
		return false, fmt.Errorf("%w: read session %s: %w", ErrRevocationsUnavailable, sessionID, err)
	}
	// A revocation is final: keep it as long as a token could live, not just CacheFor.
	until := now.Add(r.ttl)
	if revoked {
		until = now.Add(DefaultAccessTTL + leeway)
	}
	r.put(sessionID, revoked, until)
	return revoked, nil
}

func (r *Revocations) put(sessionID uuid.UUID, revoked bool, until time.Time) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.After(r.sweepAt) { // drop stale answers so that memory stays bounded
		for id, c := range r.cache {
			if !now.Before(c.until) {
				delete(r.cache, id)
			}
		}
		r.sweepAt = now.Add(r.ttl)
	}
	r.cache[sessionID] = cached{revoked: revoked, until: until}
}

// MemoryRevocations is a RevocationStore held in process memory: correct for one process
// only (a service run without its Dapr sidecar, tests).
type MemoryRevocations struct {
	now func() time.Time

	mu    sync.Mutex
	until map[uuid.UUID]time.Time
}

// NewMemoryRevocations returns an empty MemoryRevocations.
func NewMemoryRevocations() *MemoryRevocations {
	return &MemoryRevocations{now: time.Now, until: map[uuid.UUID]time.Time{}}
}

// Revoke implements RevocationStore.
func (m *MemoryRevocations) Revoke(_ context.Context, sessionID uuid.UUID, ttl time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, u := range m.until {
		if !now.Before(u) {
			delete(m.until, id)
		}
	}
	m.until[sessionID] = now.Add(ttl)
	return nil
}

// Revoked implements RevocationStore.
func (m *MemoryRevocations) Revoked(_ context.Context, sessionID uuid.UUID) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.until[sessionID]
	return ok && m.now().Before(u), nil
}

// IssuerRevocations is the revocation list as the service that owns the sessions sees
// it: whether a session ended is read from that service's own records (IsRevoked, its
// database), which are the authority and need no sidecar, while sign-outs are also
// written to Shared for every other verifier of the mesh.
type IssuerRevocations struct {
	Shared    RevocationStore
	IsRevoked func(ctx context.Context, sessionID uuid.UUID) (bool, error)
}

var _ RevocationStore = IssuerRevocations{}

// Revoke implements RevocationStore: it writes to Shared (the owner's records are
// updated by the sign-out itself).
func (r IssuerRevocations) Revoke(ctx context.Context, sessionID uuid.UUID, ttl time.Duration) error {
	return r.Shared.Revoke(ctx, sessionID, ttl)
}

// Revoked implements RevocationStore from the owner's records.
func (r IssuerRevocations) Revoked(ctx context.Context, sessionID uuid.UUID) (bool, error) {
	return r.IsRevoked(ctx, sessionID)
}
