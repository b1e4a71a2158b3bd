// Package ratelimit limits how often a key (an account, an address) may do something.
//
// Limiter is the interface services depend on; Memory is the in-process implementation,
// correct for a single replica. A shared implementation on the Dapr state store comes with
// the mesh, behind the same interface.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Limiter admits or refuses one more event for a key.
type Limiter interface {
	// Allow records one event for key and reports whether it is within the limit; when it
	// is not, retryAfter says when the next event will be admitted.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Memory is a fixed-window Limiter held in process memory: at most Limit events per key
// in each Window.
type Memory struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	sweepAt time.Time
}

type window struct {
	start time.Time
	count int
}

// NewMemory returns a Memory limiter allowing limit events per key per window.
func NewMemory(limit int, per time.Duration) *Memory {
	return &Memory{limit: limit, window: per, now: time.Now, windows: map[string]*window{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.sweepAt) { // drop finished windows so memory stays bounded
		for k, w := range m.windows {
			if now.Sub(w.start) >= m.window {
				delete(m.windows, k)
			}
		}
		m.sweepAt = now.Add(m.window)
	}
	w, ok := m.windows[key]
	if !ok || now.Sub(w.start) >= m.window {
		w = &window{start: now}
		m.windows[key] = w
	}
	if w.count >= m.limit {
		return false, w.start.Add(m.window).Sub(now), nil
	}
	w.count++
	return true, 0, nil
}
