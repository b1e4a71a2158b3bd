package handler_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/consumertest"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/notification/internal/handler"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

const (
	pending   = taskv1.TaskStatus_TASK_STATUS_PENDING
	completed = taskv1.TaskStatus_TASK_STATUS_COMPLETED
)

// outboxRow is one row of the service's outbox.
type outboxRow struct {
	id      uuid.UUID
	topic   string
	payload []byte
}

func (e *env) outboxOf(userID uuid.UUID) []outboxRow {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT id, topic, payload FROM outbox WHERE payload->>'userId' = $1::text ORDER BY seq`, userID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.id, &r.topic, &r.payload); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestConsumerStoresAndAnnouncesAReminderOfAPendingTask(t *testing.T) {
	e := newEnv(t)
	userID, taskID := uuid.New(), uuid.New()
	e.tasks.put(userID, task(taskID, pending))
	re := reminder(userID, taskID, "call mum — «urgent» 📞")

	e.mustDeliver(re)
	if w := e.written(userID, re.EventId); w != (written{notifications: 1, outbox: 1, processed: 1}) {
		t.Fatalf("after one reminder: %+v; want one notification, one outbox row, one ledger entry", w)
	}
	if got := e.outcome(re.EventId); got != string(store.Notified) {
		t.Fatalf("ledger outcome %q; want %q", got, store.Notified)
	}

	// What the user's inbox shows.
	resp, err := e.As(userID, rpctest.GRPC).Client.ListNotifications(context.Background(), connect.NewRequest(&notificationv1.ListNotificationsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Msg.GetNotifications()) != 1 || resp.Msg.GetUnreadCount() != 1 {
		t.Fatalf("inbox %v, unread %d; want the one notification, unread", resp.Msg.GetNotifications(), resp.Msg.GetUnreadCount())
	}
	stored := resp.Msg.GetNotifications()[0]
	if _, err := uuid.Parse(stored.GetId()); err != nil {
		t.Errorf("notification id %q: %v", stored.GetId(), err)
	}
	if stored.GetTaskId() != re.TaskId || stored.GetTitle() != re.Title || !proto.Equal(stored.GetDue(), re.Due) ||
		!proto.Equal(stored.GetRemindAt(), re.RemindAt) || stored.GetReadAt() != nil || stored.GetCreatedAt() == nil {
		t.Fatalf("stored notification %v; want the reminder %v, unread", stored, re)
	}

	// What the user's open pages receive: the outbox row the relay publishes.
	rows := e.outboxOf(userID)
	if len(rows) != 1 {
		t.Fatalf("%d outbox rows; want 1", len(rows))
	}
	if rows[0].topic != meshnames.TaskUpdates {
		t.Fatalf("outbox topic %q; want %q", rows[0].topic, meshnames.TaskUpdates)
	}
	upd := &eventsv1.TaskUpdateEvent{}
	if err := protojson.Unmarshal(rows[0].payload, upd); err != nil {
		t.Fatalf("outbox payload is not a TaskUpdateEvent: %v\n%s", err, rows[0].payload)
	}
	if upd.GetEventId() != rows[0].id.String() {
		t.Errorf("event_id %q; want the outbox row id %s (the CloudEvent id)", upd.GetEventId(), rows[0].id)
	}
	if upd.GetKind() != eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER || upd.GetUserId() != userID.String() || upd.GetChangeSeq() != 0 {
		t.Errorf("update %v; want kind REMINDER for user %s, change_seq 0", upd, userID)
	}
	if !proto.Equal(upd.GetNotification(), stored) {
		t.Errorf("announced notification\n %v\nwant the stored one\n %v", upd.GetNotification(), stored)
	}
	if !proto.Equal(upd.GetOccurredAt(), stored.GetCreatedAt()) {
		t.Errorf("occurred_at %v; want the notification's created_at %v", upd.GetOccurredAt().AsTime(), stored.GetCreatedAt().AsTime())
	}
	if e.tasks.callsFor(taskID) != 1 {
		t.Fatalf("the api was asked %d times; want once", e.tasks.callsFor(taskID))
	}

	// A redelivery (even with another payload) has no effect and asks the api nothing.
	again := proto.CloneOf(re)
	again.Title = "changed"
	e.mustDeliver(again)
	if w := e.written(userID, re.EventId); w != (written{notifications: 1, outbox: 1, processed: 1}) {
		t.Fatalf("after a redelivery: %+v; want nothing more", w)
	}
	if e.tasks.callsFor(taskID) != 1 {
		t.Fatalf("a redelivery asked the api again (%d calls)", e.tasks.callsFor(taskID))
	}
}

func TestConsumerHandlesConcurrentRedeliveriesOnce(t *testing.T) {
	e := newEnv(t)
	userID, taskID := uuid.New(), uuid.New()
	e.tasks.put(userID, task(taskID, pending))
	re := reminder(userID, taskID, "once")
	// Two replicas, or Dapr retrying a slow ack: all pass the "processed?" check before
	// any commits, and race on the ledger's primary key. Every one is acknowledged.
	consumertest.Redeliver(t, 8, func() error { return e.deliver(re) })
	if w := e.written(userID, re.EventId); w != (written{notifications: 1, outbox: 1, processed: 1}) {
		t.Fatalf("after 8 concurrent deliveries: %+v; want one of each", w)
	}
}

func TestConsumerRemembersRemindersOfTasksNoLongerPending(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		task func(userID, taskID uuid.UUID) // what the api knows
		want store.Outcome
	}{
		{"completed task", func(u, id uuid.UUID) { e.tasks.put(u, task(id, completed)) }, store.TaskNotPending},
		{"deleted task", func(u, id uuid.UUID) {
			tk := task(id, pending)
			tk.DeletedAt = timestamppb.New(base)
			e.tasks.put(u, tk)
		}, store.TaskDeleted},
		{"deleted completed task", func(u, id uuid.UUID) {
			tk := task(id, completed)
			tk.DeletedAt = timestamppb.New(base)
			e.tasks.put(u, tk)
		}, store.TaskDeleted},
		{"unknown task", func(uuid.UUID, uuid.UUID) {}, store.TaskNotFound},
		// The event names a task that is someone else's: the api answers NotFound.
		{"another user's task", func(_, id uuid.UUID) { e.tasks.put(uuid.New(), task(id, pending)) }, store.TaskNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			userID, taskID := uuid.New(), uuid.New()
			tc.task(userID, taskID)
			re := reminder(userID, taskID, tc.name)
			e.mustDeliver(re)
			if w := e.written(userID, re.EventId); w != (written{processed: 1}) {
				t.Fatalf("%+v; want no notification, no outbox row, the event remembered", w)
			}
			if got := e.outcome(re.EventId); got != string(tc.want) {
				t.Fatalf("ledger outcome %q; want %q", got, tc.want)
			}
			// Redelivered, even after the task became pending again: remembered as
			// handled, the api is not asked again.
			e.tasks.put(userID, task(taskID, pending))
			e.mustDeliver(re)
			if n := e.tasks.callsFor(taskID); n != 1 {
				t.Fatalf("the api was asked %d times; want once", n)
			}
			if w := e.written(userID, re.EventId); w != (written{processed: 1}) {
				t.Fatalf("after a redelivery: %+v; want nothing more", w)
			}
		})
	}
}

func TestConsumerRetriesWhileTheApiCannotAnswer(t *testing.T) {
	e := newEnv(t)
	userID, taskID := uuid.New(), uuid.New()
	e.tasks.put(userID, task(taskID, pending))
	re := reminder(userID, taskID, "later")
	for _, cause := range []error{
		connect.NewError(connect.CodeUnavailable, errors.New("api is down")),
		connect.NewError(connect.CodeDeadlineExceeded, errors.New("too slow")),
		connect.NewError(connect.CodeInternal, errors.New("boom")),
		errors.New("dial tcp 127.0.0.1:50001: connection refused"),
	} {
		e.tasks.fail(cause)
		err := e.deliver(re)
		if err == nil || appcallback.IsPermanent(err) {
			t.Fatalf("with the api failing with %v: %v; want a transient (retry) error", cause, err)
		}
		if w := e.written(userID, re.EventId); w != (written{}) {
			t.Fatalf("with the api failing: %+v written; want nothing", w)
		}
	}
	// Once the api answers, the redelivery is notified: the failure was not remembered.
	e.tasks.fail(nil)
	e.mustDeliver(re)
	if w := e.written(userID, re.EventId); w != (written{notifications: 1, outbox: 1, processed: 1}) {
		t.Fatalf("after the api came back: %+v; want one of each", w)
	}
}

func TestConsumerRetriesWhenTheDatabaseFails(t *testing.T) {
	pool := consumertest.DownPool(t, sharedDB, store.Schema)
	tasks := newFakeTasks()
	userID, taskID := uuid.New(), uuid.New()
	tasks.put(userID, task(taskID, pending))
	c := handler.NewConsumer(store.New(pool), tasks)
	data, _ := protojson.Marshal(reminder(userID, taskID, "x"))
	err := c.HandleReminder(context.Background(), appcallback.Event{Topic: meshnames.Reminders, Data: data})
	if err == nil || appcallback.IsPermanent(err) {
		t.Fatalf("HandleReminder with the database closed = %v; want a transient (retry) error", err)
	}

	// A cancelled delivery (the service shutting down) is retried too, and writes nothing.
	e := newEnv(t)
	e.tasks.put(userID, task(taskID, pending))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = e.consumer.HandleReminder(ctx, appcallback.Event{Topic: meshnames.Reminders, Data: data})
	if err == nil || appcallback.IsPermanent(err) {
		t.Fatalf("HandleReminder with its context cancelled = %v; want a transient (retry) error", err)
	}
	if w := e.written(userID, ""); w != (written{}) {
		t.Fatalf("a cancelled delivery wrote %+v", w)
	}
}

func TestConsumerSendsPoisonToTheDeadLetterTopicAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		edit func(re *eventsv1.ReminderEvent)
		data func(userID, taskID uuid.UUID) string // instead of the edited event
	}{
		{name: "not JSON", data: func(uuid.UUID, uuid.UUID) string { return "\x00\x01 binary garbage" }},
		{name: "JSON of the wrong shape", data: func(uuid.UUID, uuid.UUID) string { return `{"eventId": 5, "due": "tomorrow"}` }},
		{name: "empty object", data: func(uuid.UUID, uuid.UUID) string { return `{}` }},
		{name: "remind_at out of range", data: func(u, id uuid.UUID) string {
			return `{"eventId": "` + uuid.NewString() + `", "reminderId": "` + uuid.NewString() + `", "userId": "` + u.String() +
				`", "taskId": "` + id.String() + `", "title": "t", "remindAt": "10000-01-01T00:00:00Z"}`
		}},
		{name: "no event_id", edit: func(re *eventsv1.ReminderEvent) { re.EventId = "" }},
		{name: "event_id not a UUID", edit: func(re *eventsv1.ReminderEvent) { re.EventId = "evt-1" }},
		{name: "no user_id", edit: func(re *eventsv1.ReminderEvent) { re.UserId = "" }},
		{name: "user_id not a UUID", edit: func(re *eventsv1.ReminderEvent) { re.UserId = "alice" }},
		{name: "no task_id", edit: func(re *eventsv1.ReminderEvent) { re.TaskId = "" }},
		{name: "no reminder_id", edit: func(re *eventsv1.ReminderEvent) { re.ReminderId = "" }},
		{name: "no remind_at", edit: func(re *eventsv1.ReminderEvent) { re.RemindAt = nil }},
		{name: "due without a kind", edit: func(re *eventsv1.ReminderEvent) { re.Due = &taskv1.Due{} }},
		{name: "due on no real day", edit: func(re *eventsv1.ReminderEvent) {
			re.Due = &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2026, Month: 13, Day: 40}}}
		}},
		// PostgreSQL cannot keep U+0000 in text: retrying would fail forever.
		{name: "NUL in the title", edit: func(re *eventsv1.ReminderEvent) { re.Title = "a\x00b" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			userID, taskID := uuid.New(), uuid.New()
			e.tasks.put(userID, task(taskID, pending))
			re := reminder(userID, taskID, tc.name)
			var data []byte
			if tc.data != nil {
				data = []byte(tc.data(userID, taskID))
			} else {
				tc.edit(re)
				var err error
				if data, err = protojson.Marshal(re); err != nil {
					t.Fatal(err)
				}
			}
			err := e.deliverData(re.GetEventId(), data)
			if !appcallback.IsPermanent(err) {
				t.Fatalf("HandleReminder = %v; want a permanent (dead-letter) error", err)
			}
			if w := e.written(userID, re.GetEventId()); w != (written{}) {
				t.Fatalf("%+v written for a poison event", w)
			}
			if n := e.tasks.callsFor(taskID); n != 0 {
				t.Fatalf("the api was asked %d times about a poison event", n)
			}
		})
	}
}

// TestConsumerAnswersDaprAsTheContractSays goes through the AppCallback service that
// daprd calls: notified, skipped and duplicate events are acknowledged, poison is
// published to the dead-letter topic and acknowledged, an api failure asks for a retry.
// The publisher records what would reach the broker (no daprd runs in these tests).
func TestConsumerAnswersDaprAsTheContractSays(t *testing.T) {
	e := newEnv(t)
	pub := &publishtest.Recorder{}
	app := appcallback.New(zerolog.Nop(), pub, nil)
	e.consumer.Register(app)
	call := func(re *eventsv1.ReminderEvent, data []byte) appcallback.Outcome {
		t.Helper()
		if data == nil {
			data, _ = protojson.Marshal(re)
		}
		return consumertest.Deliver(t, app, meshnames.Reminders, re.GetEventId(), data)
	}
	success, retry := appcallback.Success, appcallback.Retry

	userID, live, done := uuid.New(), uuid.New(), uuid.New()
	e.tasks.put(userID, task(live, pending))
	e.tasks.put(userID, task(done, completed))
	good := reminder(userID, live, "good")
	for name, re := range map[string]*eventsv1.ReminderEvent{
		"a reminder": good, "its redelivery": good, "a reminder of a completed task": reminder(userID, done, "done"),
	} {
		if got := call(re, nil); got != success {
			t.Fatalf("%s: %v; want SUCCESS", name, got)
		}
	}
	if len(pub.Topics()) != 0 {
		t.Fatalf("good events were dead-lettered: %v", pub.Topics())
	}
	if got := call(&eventsv1.ReminderEvent{EventId: "poison-1"}, []byte("not json")); got != success {
		t.Fatalf("a poison event: %v; want SUCCESS once dead-lettered", got)
	}
	if got, want := pub.Topics(), meshnames.DeadLetter(meshnames.Reminders); len(got) != 1 || got[0] != want {
		t.Fatalf("poison published to %v; want [%s]", got, want)
	}
	e.tasks.fail(connect.NewError(connect.CodeUnavailable, errors.New("api is down")))
	if got := call(reminder(userID, live, "later"), nil); got != retry {
		t.Fatalf("a reminder with the api down: %v; want RETRY", got)
	}
	if w := e.written(userID, ""); w.notifications != 1 || w.outbox != 1 {
		t.Fatalf("%+v; want the one notification", w)
	}
}

// internalAPI answers GetTaskForUser as the api does, with what it is given.
type internalAPI struct {
	internalv1connect.UnimplementedTaskInternalServiceHandler
	task *taskv1.Task
	err  error
	got  *internalv1.GetTaskForUserRequest
}

func (a *internalAPI) GetTaskForUser(_ context.Context, req *connect.Request[internalv1.GetTaskForUserRequest]) (*connect.Response[internalv1.GetTaskForUserResponse], error) {
	a.got = req.Msg
	if a.err != nil {
		return nil, a.err
	}
	return connect.NewResponse(&internalv1.GetTaskForUserResponse{Task: a.task}), nil
}

// TestMeshTasksReadsTheApisAnswers runs MeshTasks against a TaskInternalService served
// over gRPC, as the api serves it behind its sidecar: NotFound is the one definite "no",
// every other failure stays a failure (retried).
func TestMeshTasksReadsTheApisAnswers(t *testing.T) {
	api := &internalAPI{}
	mux := http.NewServeMux()
	mux.Handle(internalv1connect.NewTaskInternalServiceHandler(api))
	url := rpctest.NewServer(t, mux)
	tasks := handler.MeshTasks{Client: internalv1connect.NewTaskInternalServiceClient(rpctest.GRPC.HTTPClient(), url, connect.WithGRPC())}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	userID, taskID := uuid.New(), uuid.New()

	api.task = task(taskID, pending)
	got, err := tasks.TaskForUser(ctx, userID, taskID)
	if err != nil || !proto.Equal(got, api.task) {
		t.Fatalf("TaskForUser = %v, %v; want the task", got, err)
	}
	if api.got.GetUserId() != userID.String() || api.got.GetTaskId() != taskID.String() {
		t.Fatalf("asked for %v; want user %s, task %s", api.got, userID, taskID)
	}
	api.err = connect.NewError(connect.CodeNotFound, errors.New("task not found"))
	if _, err := tasks.TaskForUser(ctx, userID, taskID); !errors.Is(err, handler.ErrTaskNotFound) {
		t.Fatalf("NotFound from the api: %v; want ErrTaskNotFound", err)
	}
	for _, code := range []connect.Code{connect.CodeUnavailable, connect.CodePermissionDenied, connect.CodeInternal, connect.CodeUnimplemented} {
		api.err = connect.NewError(code, errors.New("no"))
		if _, err := tasks.TaskForUser(ctx, userID, taskID); err == nil || errors.Is(err, handler.ErrTaskNotFound) {
			t.Fatalf("%v from the api: %v; want an error other than ErrTaskNotFound", code, err)
		}
	}
	api.err, api.task = nil, nil
	if _, err := tasks.TaskForUser(ctx, userID, taskID); err == nil || errors.Is(err, handler.ErrTaskNotFound) {
		t.Fatalf("an answer without a task: %v; want an error other than ErrTaskNotFound", err)
	}
}
