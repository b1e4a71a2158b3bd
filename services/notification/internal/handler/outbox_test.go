package handler_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/outbox"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

// TestOutboxFitsTheRelay checks that the schema's outbox is what pkg/outbox expects: a
// committed notification wakes the relay on "notification.outbox", and the relay
// publishes its TaskUpdateEvent to task-updates with the event id as CloudEvent id.
func TestOutboxFitsTheRelay(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	listener, err := pgx.Connect(ctx, sharedDB)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN "+pgx.Identifier{outbox.Channel(store.Schema)}.Sanitize()); err != nil {
		t.Fatal(err)
	}

	userID := uuid.New()
	e.notify(userID, "wake the relay")
	if _, err := listener.WaitForNotification(ctx); err != nil {
		t.Fatalf("no NOTIFY on %q after a notification committed: %v", outbox.Channel(store.Schema), err)
	}
	rows := e.outboxOf(userID)
	if len(rows) != 1 {
		t.Fatalf("%d outbox rows; want 1", len(rows))
	}

	pub := &publishtest.Recorder{}
	relay := outbox.NewRelay(e.pool, pub, outbox.Config{Schema: store.Schema, PubSub: meshnames.PubSub}, zerolog.Nop())
	for {
		n, err := relay.Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var mine []publish.Message
	for _, p := range pub.Messages() {
		if p.ID == rows[0].id.String() {
			mine = append(mine, p)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("the relay published the notification's update %d times; want once", len(mine))
	}
	p := mine[0]
	if p.PubSub != meshnames.PubSub || p.Topic != meshnames.TaskUpdates || publish.ContentType(p) != "application/json" {
		t.Fatalf("published to %s/%s as %q; want %s/%s as application/json", p.PubSub, p.Topic, publish.ContentType(p), meshnames.PubSub, meshnames.TaskUpdates)
	}
	upd := &eventsv1.TaskUpdateEvent{}
	if err := protojson.Unmarshal(p.Data, upd); err != nil {
		t.Fatalf("published data is not a TaskUpdateEvent: %v", err)
	}
	if upd.GetEventId() != rows[0].id.String() || upd.GetKind() != eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER ||
		upd.GetNotification().GetTitle() != "wake the relay" {
		t.Fatalf("published %v; want the reminder update of the outbox row", upd)
	}
	var unpublished int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE id = $1 AND published_at IS NULL`, rows[0].id).Scan(&unpublished); err != nil {
		t.Fatal(err)
	}
	if unpublished != 0 {
		t.Fatal("the published row is not marked published")
	}
}
