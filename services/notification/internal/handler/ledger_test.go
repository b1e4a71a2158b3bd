package handler_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestForgetProcessedForgetsOnlyOldEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	old, recent := uuid.New(), uuid.New()
	if _, err := e.pool.Exec(ctx, `INSERT INTO processed_events (event_id, outcome, processed_at)
		VALUES ($1, 'task_not_found', '2000-01-01'), ($2, 'task_not_found', now())`, old, recent); err != nil {
		t.Fatal(err)
	}
	n, err := e.store.ForgetProcessed(ctx, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 1 {
		t.Fatalf("ForgetProcessed = %d, %v; want 1 (only the old event)", n, err)
	}
	for id, want := range map[uuid.UUID]bool{old: false, recent: true} {
		got, err := e.store.Processed(ctx, id)
		if err != nil || got != want {
			t.Fatalf("Processed(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
}
