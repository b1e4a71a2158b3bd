package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/taskmesh/taskmesh/pkg/dapr/state"
)

func TestBackoffDelaysGrowAndStopAtMax(t *testing.T) {
	b := Backoff{Free: 5, Base: time.Second, Max: 30 * time.Second}
	want := map[int]time.Duration{
		0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 8: 8 * time.Second,
		9: 16 * time.Second, 10: 30 * time.Second, 11: 30 * time.Second, 1000: 30 * time.Second,
	}
	for n, d := range want {
		if got := b.Delay(n); got != d {
			t.Errorf("Delay(%d) = %v; want %v", n, got, d)
		}
	}
	last := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := Record{N: 8, Last: last}
	if got := b.Wait(rec, last.Add(time.Second)); got != 7*time.Second {
		t.Errorf("Wait 1s after the 8th failure = %v; want 7s", got)
	}
	if got := b.Wait(rec, last.Add(8*time.Second)); got != 0 {
		t.Errorf("Wait once the delay has passed = %v; want 0", got)
	}
}

// counters runs a test against both Counter implementations, on one fake clock.
func counters(t *testing.T, quiet time.Duration, run func(t *testing.T, c Counter, advance func(time.Duration))) {
	t.Run("memory", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		m := NewMemoryCounter(quiet)
		m.now = func() time.Time { return now }
		run(t, m, func(d time.Duration) { now = now.Add(d) })
	})
	t.Run("state", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		store := newEtagStore()
		s := NewStateCounter(store, "f:", quiet)
		s.now = func() time.Time { return now }
		run(t, s, func(d time.Duration) { now = now.Add(d) })
		if ttl := store.ttls["f:a"]; ttl != quiet && ttl != time.Second {
			t.Errorf("record TTL %v; want the quiet period", ttl)
		}
	})
}

func TestCounterCountsResetsAndForgetsWhenQuiet(t *testing.T) {
	ctx := context.Background()
	counters(t, 15*time.Minute, func(t *testing.T, c Counter, advance func(time.Duration)) {
		for i := 1; i <= 3; i++ {
			r, err := c.Add(ctx, "a")
			if err != nil || r.N != i {
				t.Fatalf("Add #%d = %+v, %v", i, r, err)
			}
			advance(time.Minute)
		}
		if r, _ := c.Get(ctx, "b"); r.N != 0 {
			t.Fatalf("another key has %d", r.N)
		}
		advance(13 * time.Minute) // 14 min after the last event: still remembered
		if r, _ := c.Get(ctx, "a"); r.N != 3 {
			t.Fatalf("Get = %+v; want 3 events", r)
		}
		advance(time.Minute) // quiet for 15 min: forgotten
		if r, _ := c.Get(ctx, "a"); r.N != 0 {
			t.Fatalf("Get after the quiet period = %+v; want nothing", r)
		}
		if r, _ := c.Add(ctx, "a"); r.N != 1 {
			t.Fatalf("Add after the quiet period = %+v; want a fresh count", r)
		}
		if err := c.Reset(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if r, _ := c.Get(ctx, "a"); r.N != 0 {
			t.Fatalf("Get after Reset = %+v", r)
		}
	})
}

func TestStateCounterRereadsOnConflict(t *testing.T) {
	store := newEtagStore()
	c := NewStateCounter(store, "f:", time.Hour)
	raced := false
	store.beforeSave = func(s *etagStore, key string) {
		if raced {
			return
		}
		raced = true
		s.mu.Lock()
		s.items[key] = state.Item{Value: []byte(`{"n":4,"last":` + strconv.FormatInt(time.Now().UnixMilli(), 10) + `}`), ETag: "7"}
		s.mu.Unlock()
	}
	r, err := c.Add(context.Background(), "a")
	if err != nil || r.N != 5 {
		t.Fatalf("Add = %+v, %v; want 5 (counted on top of the other replica's 4)", r, err)
	}
}
