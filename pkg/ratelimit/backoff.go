package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Record is what a Counter holds for a key: how many events, and when the last came.
type Record struct {
	N    int
	Last time.Time
}

// Counter counts events per key (failed sign-ins, say) and forgets a key once no event
// has come for its quiet period, so that counts fade on their own.
type Counter interface {
	// Get returns key's record (zero when there is none).
	Get(ctx context.Context, key string) (Record, error)
	// Add records one event for key and returns the new record.
	Add(ctx context.Context, key string) (Record, error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// Backoff turns a count of failures into a delay that grows with each one: up to Free
// failures cost nothing; after the Free-th the next attempt must wait Base, after the
// next one twice that, and so on, never more than Max. It only ever delays: however many failures an attacker
// piles up, the wait stays at most Max after the last one.
type Backoff struct {
	Free int
	Base time.Duration
	Max  time.Duration
}

// Delay is the wait after n failures.
func (b Backoff) Delay(n int) time.Duration {
	if n < b.Free || n == 0 {
		return 0
	}
	d := b.Base
	for i := b.Free; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Wait is how long after now the next attempt must wait, given rec (0: go ahead).
func (b Backoff) Wait(rec Record, now time.Time) time.Duration {
	return max(rec.Last.Add(b.Delay(rec.N)).Sub(now), 0)
}

// MemoryCounter is a Counter held in process memory, correct for a single replica.
type MemoryCounter struct {
	quiet time.Duration
	now   func() time.Time

	mu      sync.Mutex
	records map[string]Record
	sweepAt time.Time
}

// NewMemoryCounter returns a MemoryCounter that forgets a key quiet after its last event.
func NewMemoryCounter(quiet time.Duration) *MemoryCounter {
	return &MemoryCounter{quiet: quiet, now: time.Now, records: map[string]Record{}}
}

// Get implements Counter.
func (m *MemoryCounter) Get(_ context.Context, key string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.get(key, m.now()), nil
}

func (m *MemoryCounter) get(key string, now time.Time) Record {
	r, ok := m.records[key]
	if !ok || now.Sub(r.Last) >= m.quiet {
		return Record{}
	}
	return r
}

// Add implements Counter.
func (m *MemoryCounter) Add(_ context.Context, key string) (Record, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.sweepAt) { // drop forgotten keys so memory stays bounded
		for k, r := range m.records {
			if now.Sub(r.Last) >= m.quiet {
				delete(m.records, k)
			}
		}
		m.sweepAt = now.Add(m.quiet)
	}
	r := m.get(key, now)
	r.N++
	r.Last = now
	m.records[key] = r
	return r, nil
}

// Reset implements Counter.
func (m *MemoryCounter) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, key)
	return nil
}
