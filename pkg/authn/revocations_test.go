package authn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

// countingStore counts the reads that reach the store.
type countingStore struct {
	*MemoryRevocations
	reads int
	err   error
}

func (c *countingStore) Revoked(ctx context.Context, id uuid.UUID) (bool, error) {
	c.reads++
	if c.err != nil {
		return false, c.err
	}
	return c.MemoryRevocations.Revoked(ctx, id)
}

func TestRevocationsSeeAnotherReplicasSignOutWithinTheCachePeriod(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	shared := NewMemoryRevocations()
	shared.now = clock
	store := &countingStore{MemoryRevocations: shared}
	r := NewRevocations(store, time.Second)
	r.now = clock
	sid := uuid.New()

	for range 3 {
		if revoked, err := r.Revoked(ctx, sid); err != nil || revoked {
			t.Fatalf("Revoked = %v, %v; want false", revoked, err)
		}
	}
	if store.reads != 1 {
		t.Fatalf("%d reads of the store for 3 checks in one cache period; want 1", store.reads)
	}
	// Another replica signs the session out (straight into the shared store).
	if err := shared.Revoke(ctx, sid, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if revoked, err := r.Revoked(ctx, sid); err != nil || !revoked {
		t.Fatalf("one cache period after another replica's sign-out: Revoked = %v, %v; want true", revoked, err)
	}
	// The store forgets it once every token of the session has expired.
	now = now.Add(15 * time.Minute)
	if revoked, _ := shared.Revoked(ctx, sid); revoked {
		t.Fatal("the store still holds the session after its ttl")
	}

	// A sign-out on this replica is seen here at once.
	other := uuid.New()
	if revoked, _ := r.Revoked(ctx, other); revoked {
		t.Fatal("fresh session reported ended")
	}
	if err := r.Revoke(ctx, other, time.Minute); err != nil {
		t.Fatal(err)
	}
	if revoked, _ := r.Revoked(ctx, other); !revoked {
		t.Fatal("this replica's own sign-out is not seen at once")
	}

	store.err = errors.New("connection refused")
	if _, err := r.Revoked(ctx, uuid.New()); !errors.Is(err, ErrRevocationsUnavailable) {
		t.Fatalf("store down: %v; want ErrRevocationsUnavailable", err)
	}
}

func TestAuthenticateRefusesAnEndedSessionOnly(t *testing.T) {
	iss, _ := newTestIssuer(t)
	iss.cfg.Revocations = NewRevocations(NewMemoryRevocations(), 0)
	ctx := context.Background()
	user := uuid.New()
	first, second := uuid.New(), uuid.New()
	tok1, _, err := iss.IssueSession(user, first)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, err := iss.IssueSession(user, second)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := iss.Authenticate(ctx, tok1); err != nil || c.SessionID != first {
		t.Fatalf("before sign-out: %+v, %v", c, err)
	}
	if err := iss.EndSession(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Authenticate(ctx, tok1); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("token of the ended session: %v; want ErrSessionEnded", err)
	}
	if c, err := iss.Authenticate(ctx, tok2); err != nil || c.SessionID != second || c.UserID != user {
		t.Fatalf("the user's other session: %+v, %v; want accepted", c, err)
	}
}
