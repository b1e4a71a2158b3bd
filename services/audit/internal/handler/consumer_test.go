package handler_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/consumertest"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/audit/internal/handler"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

const (
	created = eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED
	updated = eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED
	done    = eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED
	deleted = eventsv1.TaskEventType_TASK_EVENT_TYPE_DELETED
)

func TestConsumerRecordsEachEventOnceWhateverTheRedeliveries(t *testing.T) {
	e := newEnv(t)
	userID, taskID := uuid.New(), uuid.New()
	first := event(userID, taskID, created, base, 1)

	e.mustDeliver(first)
	e.mustDeliver(first) // redelivery
	if n := e.rows(userID, ""); n != 1 {
		t.Fatalf("after one event delivered twice: %d rows; want 1", n)
	}

	// Concurrent redeliveries (two replicas, or Dapr retrying a slow ack) race on the
	// unique event_id; every one of them must be acknowledged.
	second := event(userID, taskID, updated, base.Add(time.Second), 2)
	consumertest.Redeliver(t, 8, func() error { return e.deliver(second) })
	if n := e.rows(userID, ""); n != 2 {
		t.Fatalf("after a second event delivered 8 times at once: %d rows; want 2", n)
	}

	// A redelivery never rewrites the entry, even if the payload differs.
	changed := event(userID, taskID, deleted, base.Add(time.Hour), 9)
	changed.EventId = first.EventId
	e.mustDeliver(changed)
	u := e.As(userID, rpctest.Connect)
	resp, err := u.Client.ListAuditEntries(context.Background(), listRequest())
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Msg.GetEntries(); len(got) != 2 || got[1].GetEventId() != first.EventId || got[1].GetType() != created {
		t.Fatalf("entries after a changed redelivery = %v; want the first recording kept", got)
	}
}

func TestConsumerSendsPoisonToTheDeadLetterTopicAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	valid := func(edit func(te *eventsv1.TaskEvent)) (*eventsv1.TaskEvent, []byte) {
		te := event(uuid.New(), uuid.New(), updated, base, 5)
		edit(te)
		data, err := protojson.Marshal(te)
		if err != nil {
			t.Fatal(err)
		}
		return te, data
	}
	cases := []struct {
		name string
		edit func(te *eventsv1.TaskEvent)
		data []byte // instead of the edited event
	}{
		{name: "not JSON", data: []byte("\x00\x01 binary garbage")},
		{name: "JSON of the wrong shape", data: []byte(`{"eventId": 5, "task": "yes"}`)},
		{name: "empty object", data: []byte(`{}`)},
		{name: "no event_id", edit: func(te *eventsv1.TaskEvent) { te.EventId = "" }},
		{name: "event_id not a UUID", edit: func(te *eventsv1.TaskEvent) { te.EventId = "evt-1" }},
		{name: "no user_id", edit: func(te *eventsv1.TaskEvent) { te.UserId = "" }},
		{name: "user_id not a UUID", edit: func(te *eventsv1.TaskEvent) { te.UserId = "alice" }},
		{name: "no task", edit: func(te *eventsv1.TaskEvent) { te.Task = nil }},
		{name: "task without id", edit: func(te *eventsv1.TaskEvent) { te.Task.Id = "" }},
		{name: "unspecified type", edit: func(te *eventsv1.TaskEvent) { te.Type = 0 }},
		{name: "type too large", edit: func(te *eventsv1.TaskEvent) { te.Type = 1 << 20 }},
		{name: "no occurred_at", edit: func(te *eventsv1.TaskEvent) { te.OccurredAt = nil }},
		{name: "occurred_at out of range", data: []byte(`{"eventId": "` + uuid.NewString() + `", "type": "TASK_EVENT_TYPE_CREATED",
			"userId": "` + uuid.NewString() + `", "task": {"id": "` + uuid.NewString() + `"}, "occurredAt": "10000-01-01T00:00:00Z"}`)},
		// PostgreSQL cannot keep U+0000 in jsonb: retrying would fail forever.
		{name: "NUL in the task", edit: func(te *eventsv1.TaskEvent) { te.Task.Title = "a\x00b" }},
		{name: "NUL in the previous task", edit: func(te *eventsv1.TaskEvent) { te.Previous.Description = "\x00" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			te, data := valid(func(*eventsv1.TaskEvent) {})
			if tc.edit != nil {
				te, data = valid(tc.edit)
			} else {
				data = tc.data
			}
			err := e.deliverData(te.GetEventId(), data)
			if !appcallback.IsPermanent(err) {
				t.Fatalf("HandleTaskEvent = %v; want a permanent (dead-letter) error", err)
			}
			userID, _ := uuid.Parse(te.GetUserId())
			if n := e.rows(userID, te.GetEventId()); n != 0 {
				t.Fatalf("%d rows written for a poison event", n)
			}
		})
	}
}

func TestConsumerRetriesWhenTheDatabaseFails(t *testing.T) {
	c := handler.NewConsumer(store.New(consumertest.DownPool(t, sharedDB, store.Schema)))
	te := event(uuid.New(), uuid.New(), created, base, 1)
	data, _ := protojson.Marshal(te)
	err := c.HandleTaskEvent(context.Background(), appcallback.Event{ID: te.EventId, Topic: meshnames.TaskEvents, Data: data})
	if err == nil || appcallback.IsPermanent(err) {
		t.Fatalf("HandleTaskEvent with the database closed = %v; want a transient (retry) error", err)
	}

	// A cancelled delivery (the service shutting down) is retried too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = newEnv(t).consumer.HandleTaskEvent(ctx, appcallback.Event{ID: te.EventId, Topic: meshnames.TaskEvents, Data: data})
	if err == nil || appcallback.IsPermanent(err) {
		t.Fatalf("HandleTaskEvent with its context cancelled = %v; want a transient (retry) error", err)
	}
}

// TestConsumerAnswersDaprAsTheContractSays goes through the AppCallback service that
// daprd calls: recorded and duplicate events are acknowledged, poison is published to the
// dead-letter topic and acknowledged, a database failure asks for a retry. The publisher
// records what would reach the broker (no daprd runs in these tests).
func TestConsumerAnswersDaprAsTheContractSays(t *testing.T) {
	e := newEnv(t)
	pub := &publishtest.Recorder{}
	app := appcallback.New(zerolog.Nop(), pub, nil)
	e.consumer.Register(app)
	downApp := appcallback.New(zerolog.Nop(), pub, nil)
	handler.NewConsumer(store.New(consumertest.DownPool(t, sharedDB, store.Schema))).Register(downApp)

	userID := uuid.New()
	good := event(userID, uuid.New(), created, base, 1)
	goodData, _ := protojson.Marshal(good)
	call := func(app *appcallback.App, id string, data []byte) appcallback.Outcome {
		t.Helper()
		return consumertest.Deliver(t, app, meshnames.TaskEvents, id, data)
	}
	success, retry := appcallback.Success, appcallback.Retry

	if got := call(app, good.EventId, goodData); got != success {
		t.Fatalf("a good event: %v; want SUCCESS", got)
	}
	if got := call(app, good.EventId, goodData); got != success {
		t.Fatalf("its redelivery: %v; want SUCCESS", got)
	}
	if len(pub.Topics()) != 0 {
		t.Fatalf("good events were dead-lettered: %v", pub.Topics())
	}
	if got := call(app, "poison-1", []byte("not json")); got != success {
		t.Fatalf("a poison event: %v; want SUCCESS once dead-lettered", got)
	}
	if got, want := pub.Topics(), []string{meshnames.DeadLetter(meshnames.TaskEvents)}; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("poison published to %v; want %v", got, want)
	}
	if got := call(downApp, uuid.NewString(), goodData); got != retry {
		t.Fatalf("a good event with the database down: %v; want RETRY", got)
	}
	if n := e.rows(userID, ""); n != 1 {
		t.Fatalf("%d rows; want 1", n)
	}
}
