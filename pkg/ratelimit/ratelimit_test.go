package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemoryLimitsPerKeyAndWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(3, time.Minute)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 3 {
		if ok, _, _ := m.Allow(ctx, "a"); !ok {
			t.Fatalf("event %d refused; want the first 3 admitted", i+1)
		}
	}
	ok, retry, _ := m.Allow(ctx, "a")
	if ok || retry != time.Minute {
		t.Fatalf("4th event = %v, retry %v; want refused, retry 1m", ok, retry)
	}
	if ok, _, _ := m.Allow(ctx, "b"); !ok {
		t.Fatal("another key is limited too")
	}
	now = now.Add(time.Minute)
	if ok, _, _ := m.Allow(ctx, "a"); !ok {
		t.Fatal("still refused after the window passed")
	}
}
