package handler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/consumertest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/notification/internal/handler"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
	notificationsql "github.com/taskmesh/taskmesh/sql/notification"
)

// sharedDB is one migrated database for the package; tests isolate themselves by using
// fresh user ids (every query is per user) and counting rows per user or event.
var sharedDB string

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, pgtest.Migrations(store.Schema, notificationsql.Migrations), func(u string) { sharedDB = u }))
}

// env is the notification service's real handlers on a real database: NotificationService
// on an h2c test server, and the reminders consumer called as appcallback calls it. Only the
// api behind the mesh is faked (tasks): the real mesh path is covered end to end.
type env struct {
	rpctest.UserService[notificationv1connect.NotificationServiceClient]
	t        testing.TB
	pool     *pgxpool.Pool
	store    *store.Store
	tasks    *fakeTasks
	consumer *handler.Consumer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	pool := pgtest.Pool(t, sharedDB, store.Schema)
	st := store.New(pool)
	tasks := newFakeTasks()
	return &env{
		UserService: rpctest.ServeUserService[notificationv1connect.NotificationServiceHandler](t,
			notificationv1connect.NotificationServiceName, notificationv1connect.NewNotificationServiceHandler, handler.NewNotificationServer(st), notificationv1connect.NewNotificationServiceClient),
		t: t, pool: pool, store: st, tasks: tasks, consumer: handler.NewConsumer(st, tasks),
	}
}

// fakeTasks stands in for the api's TaskInternalService.GetTaskForUser: the tasks it
// knows, by owner and id, and how often each task was asked for.
type fakeTasks struct {
	mu    sync.Mutex
	tasks map[[2]uuid.UUID]*taskv1.Task
	err   error // when set, every call fails with it
	calls map[uuid.UUID]int
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{tasks: map[[2]uuid.UUID]*taskv1.Task{}, calls: map[uuid.UUID]int{}}
}

func (f *fakeTasks) TaskForUser(_ context.Context, userID, taskID uuid.UUID) (*taskv1.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[taskID]++
	if f.err != nil {
		return nil, f.err
	}
	t, ok := f.tasks[[2]uuid.UUID{userID, taskID}]
	if !ok {
		return nil, fmt.Errorf("fake: %w", handler.ErrTaskNotFound)
	}
	return t, nil
}

// put makes the api know task as userID's.
func (f *fakeTasks) put(userID uuid.UUID, task *taskv1.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks[[2]uuid.UUID{userID, uuid.MustParse(task.GetId())}] = task
}

func (f *fakeTasks) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeTasks) callsFor(taskID uuid.UUID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[taskID]
}

// base is a moment with whole microseconds, as PostgreSQL keeps them.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// task is a task of the given status.
func task(id uuid.UUID, status taskv1.TaskStatus) *taskv1.Task {
	return &taskv1.Task{Id: id.String(), Title: "water the plants", Status: status, Version: 1}
}

// reminder is a ReminderEvent for userID's task taskID, due at a moment.
func reminder(userID, taskID uuid.UUID, title string) *eventsv1.ReminderEvent {
	return &eventsv1.ReminderEvent{
		EventId: uuid.Must(uuid.NewV7()).String(), ReminderId: uuid.NewString(),
		TaskId: taskID.String(), UserId: userID.String(), Title: title,
		Due:        &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(base.Add(time.Hour + 123456789))}},
		RemindAt:   timestamppb.New(base),
		OccurredAt: timestamppb.New(base.Add(time.Second)),
	}
}

// deliver hands re to the consumer as Dapr would: protojson data in an event of topic
// reminders.
func (e *env) deliver(re *eventsv1.ReminderEvent) error {
	return e.deliverData(re.GetEventId(), consumertest.JSON(e.t, re))
}

func (e *env) deliverData(id string, data []byte) error {
	return e.consumer.HandleReminder(context.Background(), consumertest.Event(meshnames.Reminders, id, data))
}

// mustDeliver delivers re and fails the test unless it is handled.
func (e *env) mustDeliver(re *eventsv1.ReminderEvent) {
	e.t.Helper()
	if err := e.deliver(re); err != nil {
		e.t.Fatalf("deliver %s: %v", re.GetEventId(), err)
	}
}

// notify makes a pending task for userID and delivers a reminder of it; it returns the
// stored notification's id.
func (e *env) notify(userID uuid.UUID, title string) uuid.UUID {
	e.t.Helper()
	taskID := uuid.New()
	e.tasks.put(userID, task(taskID, taskv1.TaskStatus_TASK_STATUS_PENDING))
	re := reminder(userID, taskID, title)
	e.mustDeliver(re)
	var id uuid.UUID
	if err := e.pool.QueryRow(context.Background(),
		`SELECT id FROM notifications WHERE event_id = $1`, re.GetEventId()).Scan(&id); err != nil {
		e.t.Fatalf("notification of %s: %v", re.GetEventId(), err)
	}
	return id
}

// setCreated moves notifications to a creation time, to arrange orders and ties.
func (e *env) setCreated(at time.Time, ids ...uuid.UUID) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(),
		`UPDATE notifications SET created_at = $1 WHERE id = ANY($2)`, at, ids); err != nil {
		e.t.Fatal(err)
	}
}

// written counts what the service wrote for userID or eventID: notifications, outbox
// rows (by the user in their payload) and ledger entries.
type written struct{ notifications, outbox, processed int }

func (e *env) written(userID uuid.UUID, eventID string) written {
	e.t.Helper()
	var w written
	if err := e.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM notifications WHERE user_id = $1 OR event_id::text = $2),
		(SELECT count(*) FROM outbox WHERE payload->>'userId' = $1::text),
		(SELECT count(*) FROM processed_events WHERE event_id::text = $2)`,
		userID, eventID).Scan(&w.notifications, &w.outbox, &w.processed); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// outcome returns the ledger's outcome of eventID, "" when it is not there.
func (e *env) outcome(eventID string) string {
	e.t.Helper()
	var out string
	err := e.pool.QueryRow(context.Background(), `SELECT outcome FROM processed_events WHERE event_id::text = $1`, eventID).Scan(&out)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		e.t.Fatal(err)
	}
	return out
}

// user is a signed-in user with their NotificationServiceClient.
type user = rpctest.User[notificationv1connect.NotificationServiceClient]
