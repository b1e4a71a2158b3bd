package handler_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/consumertest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/services/audit/internal/handler"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
	auditsql "github.com/taskmesh/taskmesh/sql/audit"
)

// sharedDB is one migrated database for the package; tests isolate themselves by using
// fresh user ids (every query is per user) and counting rows per user or event.
var sharedDB string

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, pgtest.Migrations(store.Schema, auditsql.Migrations), func(u string) { sharedDB = u }))
}

// env is the audit service's real handlers on a real database: AuditService on an h2c
// test server, and the task-events consumer called as appcallback calls it.
type env struct {
	rpctest.UserService[auditv1connect.AuditServiceClient]
	t        testing.TB
	pool     *pgxpool.Pool
	consumer *handler.Consumer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	pool := pgtest.Pool(t, sharedDB, store.Schema)
	st := store.New(pool)
	return &env{
		UserService: rpctest.ServeUserService[auditv1connect.AuditServiceHandler](t,
			auditv1connect.AuditServiceName, auditv1connect.NewAuditServiceHandler, handler.NewAuditServer(st), auditv1connect.NewAuditServiceClient),
		t: t, pool: pool, consumer: handler.NewConsumer(st),
	}
}

// user is a signed-in user with their AuditServiceClient.
type user = rpctest.User[auditv1connect.AuditServiceClient]

// deliver hands ev to the consumer as Dapr would: protojson data in an event of topic
// task-events.
func (e *env) deliver(te *eventsv1.TaskEvent) error {
	return e.deliverData(te.GetEventId(), consumertest.JSON(e.t, te))
}

func (e *env) deliverData(id string, data []byte) error {
	return e.consumer.HandleTaskEvent(context.Background(), consumertest.Event(meshnames.TaskEvents, id, data))
}

// mustDeliver delivers te and fails the test unless it is recorded.
func (e *env) mustDeliver(te *eventsv1.TaskEvent) {
	e.t.Helper()
	if err := e.deliver(te); err != nil {
		e.t.Fatalf("deliver %s: %v", te.GetEventId(), err)
	}
}

// rows counts audit rows of userID or with eventID.
func (e *env) rows(userID uuid.UUID, eventID string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE user_id = $1 OR event_id::text = $2`, userID, eventID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// base is a moment with whole microseconds, as PostgreSQL keeps them.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// snapshot is a task with every kind of field set, timestamps to the nanosecond.
func snapshot(taskID uuid.UUID, title string, version int64) *taskv1.Task {
	return &taskv1.Task{
		Id: taskID.String(), Title: title, Description: "with \"quotes\", ünïcode and 🎉",
		Status: taskv1.TaskStatus_TASK_STATUS_PENDING, Priority: taskv1.Priority_PRIORITY_HIGH,
		TagIds: []string{uuid.NewString(), uuid.NewString()},
		Due:    &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(base.Add(48*time.Hour + 123456789))}},
		Reminders: []*taskv1.Reminder{
			{Id: uuid.NewString(), When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Hour)}, RemindAt: timestamppb.New(base.Add(47 * time.Hour))},
			{Id: uuid.NewString(), When: &taskv1.Reminder_At{At: timestamppb.New(base.Add(time.Hour))}},
		},
		Recurrence: &taskv1.RecurrenceRule{
			Frequency: taskv1.Frequency_FREQUENCY_MONTHLY, Interval: 2,
			MonthDay: &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{N: -1, Weekday: taskv1.Weekday_WEEKDAY_FRIDAY}},
			End:      &taskv1.RecurrenceRule_Count{Count: 12},
		},
		CreatedAt: timestamppb.New(base.Add(-time.Hour - 1)), UpdatedAt: timestamppb.New(base.Add(7)),
		Version: version, ChangeSeq: version + 100, SeriesId: uuid.NewString(), OccurrenceIndex: 3,
	}
}

// event is a TaskEvent of user about task at occurred; previous is set for every type but
// CREATED.
func event(userID, taskID uuid.UUID, typ eventsv1.TaskEventType, occurred time.Time, seq int64) *eventsv1.TaskEvent {
	te := &eventsv1.TaskEvent{
		EventId: uuid.Must(uuid.NewV7()).String(), Type: typ, UserId: userID.String(),
		Task:       snapshot(taskID, fmt.Sprintf("after %d", seq), seq),
		OccurredAt: timestamppb.New(occurred), ChangeSeq: seq,
	}
	if typ != eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED {
		te.Previous = snapshot(taskID, fmt.Sprintf("before %d", seq), seq-1)
	}
	return te
}
