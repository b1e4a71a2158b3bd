package handler_test

import (
	"context"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// outboxRow is one decoded outbox row.
type outboxRow struct {
	id       uuid.UUID
	topic    string
	task     *eventsv1.TaskEvent
	update   *eventsv1.TaskUpdateEvent
	reminder *eventsv1.ReminderEvent
}

// outbox returns the outbox rows after seq `after`, in order, decoded.
func (e *env) outbox(after int) []outboxRow {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT id, topic, payload FROM outbox ORDER BY seq OFFSET $1`, after)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var payload []byte
		if err := rows.Scan(&r.id, &r.topic, &payload); err != nil {
			e.t.Fatal(err)
		}
		var msg proto.Message
		switch r.topic {
		case meshnames.TaskEvents:
			r.task = &eventsv1.TaskEvent{}
			msg = r.task
		case meshnames.TaskUpdates:
			r.update = &eventsv1.TaskUpdateEvent{}
			msg = r.update
		case meshnames.Reminders:
			r.reminder = &eventsv1.ReminderEvent{}
			msg = r.reminder
		default:
			e.t.Fatalf("unexpected topic %q", r.topic)
		}
		if err := protojson.Unmarshal(payload, msg); err != nil {
			e.t.Fatalf("decode %s payload: %v", r.topic, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// checkChangeEvents asserts that rows are exactly one change's pair: a TaskEvent of typ
// then a TaskUpdateEvent of kind, both for after, with the outbox ids as event ids.
func checkChangeEvents(t *testing.T, rows []outboxRow, userID uuid.UUID, typ eventsv1.TaskEventType, kind eventsv1.TaskUpdateKind, before, after *taskv1.Task) {
	t.Helper()
	if len(rows) != 2 {
		t.Fatalf("got %d outbox rows; want 2 (a TaskEvent and a TaskUpdateEvent)", len(rows))
	}
	te, tu := rows[0].task, rows[1].update
	if te == nil || tu == nil {
		t.Fatalf("outbox order: got topics %s, %s; want %s then %s", rows[0].topic, rows[1].topic, meshnames.TaskEvents, meshnames.TaskUpdates)
	}
	if te.GetEventId() != rows[0].id.String() || tu.GetEventId() != rows[1].id.String() {
		t.Fatal("event_id differs from the outbox row id")
	}
	if te.GetType() != typ || te.GetUserId() != userID.String() || te.GetChangeSeq() != after.GetChangeSeq() {
		t.Fatalf("TaskEvent = %v; want type %v, user %s, change_seq %d", te, typ, userID, after.GetChangeSeq())
	}
	if !proto.Equal(te.GetTask(), after) || !proto.Equal(te.GetPrevious(), before) {
		t.Fatalf("TaskEvent snapshots differ:\nafter  %v\nwant   %v\nbefore %v\nwant   %v", te.GetTask(), after, te.GetPrevious(), before)
	}
	if tu.GetKind() != kind || tu.GetUserId() != userID.String() || tu.GetChangeSeq() != after.GetChangeSeq() || !proto.Equal(tu.GetTask(), after) {
		t.Fatalf("TaskUpdateEvent = %v; want kind %v for the task after", tu, kind)
	}
	if te.GetOccurredAt() == nil || tu.GetOccurredAt() == nil {
		t.Fatal("occurred_at is missing")
	}
}

func TestEveryTaskChangeWritesItsEventsOnceAndRejectedOnesNone(t *testing.T) {
	e := newOwnEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	upserted, deleted := eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_UPSERTED, eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_DELETED

	seen := 0
	next := func() []outboxRow {
		rows := e.outbox(seen)
		seen += len(rows)
		return rows
	}

	created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "first"}}))
	if err != nil {
		t.Fatal(err)
	}
	v1 := created.Msg.GetTask()
	checkChangeEvents(t, next(), u.userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED, upserted, nil, v1)

	id := v1.GetId()
	updated, err := u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
		Task: &taskv1.Task{Id: id, Title: "second"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: 1,
	}))
	if err != nil {
		t.Fatal(err)
	}
	v2 := updated.Msg.GetTask()
	checkChangeEvents(t, next(), u.userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED, upserted, v1, v2)

	// Rejected requests write nothing.
	_, err = u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
		Task: &taskv1.Task{Id: id, Title: "stale"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: 1,
	}))
	rpctest.WantCode(t, err, connect.CodeAborted)
	_, err = u.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: id}))
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	_, err = u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: uuid.NewString()}))
	rpctest.WantCode(t, err, connect.CodeNotFound)
	_, err = u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: ""}}))
	rpctest.WantCode(t, err, connect.CodeInvalidArgument)
	if rows := next(); len(rows) != 0 {
		t.Fatalf("rejected requests wrote %d outbox rows", len(rows))
	}

	steps := []struct {
		name string
		call func() (*taskv1.Task, error)
		typ  eventsv1.TaskEventType
		kind eventsv1.TaskUpdateKind
	}{
		{"complete", func() (*taskv1.Task, error) {
			m, err := rpctest.Msg(u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: id})))
			return m.GetTask(), err
		}, eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED, upserted},
		{"reopen", func() (*taskv1.Task, error) {
			m, err := rpctest.Msg(u.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: id})))
			return m.GetTask(), err
		}, eventsv1.TaskEventType_TASK_EVENT_TYPE_REOPENED, upserted},
		{"delete", func() (*taskv1.Task, error) {
			m, err := rpctest.Msg(u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: id})))
			return m.GetTask(), err
		}, eventsv1.TaskEventType_TASK_EVENT_TYPE_DELETED, deleted},
		{"restore", func() (*taskv1.Task, error) {
			m, err := rpctest.Msg(u.tasks.RestoreTask(ctx, connect.NewRequest(&taskv1.RestoreTaskRequest{Id: id})))
			return m.GetTask(), err
		}, eventsv1.TaskEventType_TASK_EVENT_TYPE_RESTORED, upserted},
	}
	before := v2
	for _, s := range steps {
		after, err := s.call()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if after.GetVersion() != before.GetVersion()+1 || after.GetChangeSeq() != before.GetChangeSeq()+1 {
			t.Fatalf("%s: version %d→%d, change_seq %d→%d; want both +1", s.name, before.GetVersion(), after.GetVersion(), before.GetChangeSeq(), after.GetChangeSeq())
		}
		checkChangeEvents(t, next(), u.userID, s.typ, s.kind, before, after)
		before = after
	}
}

func TestDeletingATagUpdatesEveryTaggedTaskWithEvents(t *testing.T) {
	e := newOwnEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "errands"}))
	if err != nil {
		t.Fatal(err)
	}
	keep, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "home"}))
	if err != nil {
		t.Fatal(err)
	}
	tagID, keepID := tag.Msg.GetTag().GetId(), keep.Msg.GetTag().GetId()
	var tagged []*taskv1.Task
	for _, tags := range [][]string{{tagID, keepID}, {tagID}, {keepID}} {
		r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "t", TagIds: tags}}))
		if err != nil {
			t.Fatal(err)
		}
		tagged = append(tagged, r.Msg.GetTask())
	}
	seen := len(e.outbox(0))
	if _, err := u.tags.DeleteTag(ctx, connect.NewRequest(&taskv1.DeleteTagRequest{Id: tagID})); err != nil {
		t.Fatal(err)
	}
	rows := e.outbox(seen)
	if len(rows) != 4 {
		t.Fatalf("deleting a tag on 2 tasks wrote %d outbox rows; want 4", len(rows))
	}
	seqs := map[int64]bool{}
	for i := 0; i < 4; i += 2 {
		before := rows[i].task.GetPrevious()
		after, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: before.GetId()}))
		if err != nil {
			t.Fatal(err)
		}
		checkChangeEvents(t, rows[i:i+2], u.userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED, eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_UPSERTED, before, after.Msg.GetTask())
		for _, id := range after.Msg.GetTask().GetTagIds() {
			if id == tagID {
				t.Fatal("the deleted tag is still on a task")
			}
		}
		seqs[after.Msg.GetTask().GetChangeSeq()] = true
	}
	if !seqs[4] || !seqs[5] {
		t.Fatalf("change sequence numbers %v; want 4 and 5 (gap-free after the 3 creations)", seqs)
	}
	// The untouched task keeps its version; all three tasks still exist.
	third, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: tagged[2].GetId()}))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(third.Msg.GetTask(), tagged[2]) {
		t.Fatal("a task without the deleted tag changed")
	}
	list, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Msg.GetTags()); n != 1 || list.Msg.GetTags()[0].GetTaskCount() != 2 {
		t.Fatalf("tags after delete = %v; want only home with 2 tasks", list.Msg.GetTags())
	}
}
