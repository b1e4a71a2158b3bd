package handler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// victim is user A's data that user B attacks.
type victim struct {
	tag                                      *taskv1.Tag
	pending, completed, deleted, tagged      *taskv1.Task
	tasks                                    map[string]*taskv1.Task // by role, as stored
	sync                                     []*taskv1.Task
	tags                                     []*taskv1.Tag
	outbox                                   int64
	pendingID, completedID, deletedID, tagID string
}

// TestIsolationOtherUsersIDsAreNotFound: user B tries every RPC that takes an id with
// user A's ids. Each answers NotFound exactly as a random missing id does (same code,
// same message, so nothing leaks), and A's data, the outbox included, is unchanged.
func TestIsolationOtherUsersIDsAreNotFound(t *testing.T) {
	e := newOwnEnv(t) // the outbox is counted
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			ctx := context.Background()
			a, b := e.newUser(p), e.newUser(p)
			v := makeVictim(ctx, t, a)

			// B's own task and tag, made before the snapshot (they write to the outbox).
			own, err := b.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "B's own"}}))
			if err != nil {
				t.Fatal(err)
			}
			ownTask := own.Msg.GetTask()
			// Tag names are unique per user only: B may use A's tag name.
			if _, err := b.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: v.tag.GetName()})); err != nil {
				t.Fatalf("B cannot create a tag named like A's: %v", err)
			}
			snapshotVictim(ctx, t, e, a, v)

			taskIDs := map[string]string{
				"pending": v.pendingID, "completed": v.completedID, "deleted": v.deletedID, "tagged": v.tagged.GetId(),
			}
			taskRPCs := map[string]func(id string) error{
				"GetTask": func(id string) error {
					_, err := b.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: id}))
					return err
				},
				"UpdateTask": func(id string) error {
					version := int64(1)
					for _, task := range v.tasks {
						if task.GetId() == id {
							version = task.GetVersion() // A's correct version
						}
					}
					_, err := b.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
						Task:       &taskv1.Task{Id: id, Title: "pwned", Priority: taskv1.Priority_PRIORITY_HIGH},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title", "priority"}}, ExpectedVersion: version,
					}))
					return err
				},
				"DeleteTask": func(id string) error {
					_, err := b.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: id}))
					return err
				},
				"RestoreTask": func(id string) error {
					_, err := b.tasks.RestoreTask(ctx, connect.NewRequest(&taskv1.RestoreTaskRequest{Id: id}))
					return err
				},
				"CompleteTask": func(id string) error {
					_, err := b.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: id}))
					return err
				},
				"ReopenTask": func(id string) error {
					_, err := b.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: id}))
					return err
				},
			}
			// Every task RPC on every one of A's tasks: whatever state A's task is in
			// (so RestoreTask on the deleted one, ReopenTask on the completed one), B
			// must not learn it.
			for rpc, call := range taskRPCs {
				want := call(uuid.NewString())
				rpctest.WantCode(t, want, connect.CodeNotFound)
				for role, id := range taskIDs {
					sameAsMissing(t, rpc+" on A's "+role+" task", call(id), want)
				}
			}

			tagRPCs := map[string]func(id string) error{
				"UpdateTag(name)": func(id string) error {
					_, err := b.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: id, Name: proto.String("pwned")}))
					return err
				},
				"UpdateTag(color)": func(id string) error {
					_, err := b.tags.UpdateTag(ctx, connect.NewRequest(&taskv1.UpdateTagRequest{Id: id, Color: proto.String("#000000")}))
					return err
				},
				"DeleteTag": func(id string) error {
					_, err := b.tags.DeleteTag(ctx, connect.NewRequest(&taskv1.DeleteTagRequest{Id: id}))
					return err
				},
				"CreateTask with tag_ids": func(id string) error {
					_, err := b.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "steal", TagIds: []string{id}}}))
					return err
				},
				"UpdateTask of B's task with tag_ids": func(id string) error {
					_, err := b.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
						Task:       &taskv1.Task{Id: ownTask.GetId(), TagIds: []string{id}},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"tag_ids"}}, ExpectedVersion: ownTask.GetVersion(),
					}))
					return err
				},
			}
			for rpc, call := range tagRPCs {
				want := call(uuid.NewString())
				rpctest.WantCode(t, want, connect.CodeNotFound)
				sameAsMissing(t, rpc+" with A's tag", call(v.tagID), want)
			}

			// B's reads show nothing of A's.
			for _, deleted := range []bool{false, true} {
				list, err := b.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{TagIds: []string{v.tagID}, IncludeDeleted: deleted}))
				if err != nil {
					t.Fatal(err)
				}
				if n := len(list.Msg.GetTasks()); n != 0 {
					t.Errorf("B's ListTasks filtered by A's tag (include_deleted=%v) returned %d tasks: %v", deleted, n, list.Msg.GetTasks())
				}
			}
			all, err := b.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{IncludeDeleted: true}))
			if err != nil {
				t.Fatal(err)
			}
			noneOfA(t, "B's ListTasks", all.Msg.GetTasks(), taskIDs)
			sync, err := b.tasks.SyncTasks(ctx, connect.NewRequest(&taskv1.SyncTasksRequest{SinceChangeSeq: 0}))
			if err != nil {
				t.Fatal(err)
			}
			noneOfA(t, "B's SyncTasks(0)", sync.Msg.GetTasks(), taskIDs)
			if len(sync.Msg.GetTasks()) != 1 || sync.Msg.GetTasks()[0].GetId() != ownTask.GetId() {
				t.Errorf("B's SyncTasks(0) = %v; want B's own task only", sync.Msg.GetTasks())
			}
			bTags, err := b.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, tag := range bTags.Msg.GetTags() {
				if tag.GetId() == v.tagID {
					t.Errorf("B's ListTags shows A's tag %v", tag)
				}
				if tag.GetTaskCount() != 0 {
					t.Errorf("B's tag %v counts tasks; B tagged none", tag)
				}
			}

			checkVictimUnchanged(ctx, t, e, a, v)
		})
	}
}

// makeVictim gives user a a tag and four tasks: pending, completed, deleted, and one with
// the tag, a due time and a reminder.
func makeVictim(ctx context.Context, t *testing.T, a *clients) *victim {
	t.Helper()
	tag, err := a.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Secret", Color: "#112233"}))
	if err != nil {
		t.Fatal(err)
	}
	create := func(task *taskv1.Task) *taskv1.Task {
		t.Helper()
		resp, err := a.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: task}))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg.GetTask()
	}
	v := &victim{tag: tag.Msg.GetTag(), tagID: tag.Msg.GetTag().GetId()}
	v.pending = create(&taskv1.Task{Title: "A pending", Description: "private"})
	v.completed = create(&taskv1.Task{Title: "A completed"})
	v.deleted = create(&taskv1.Task{Title: "A deleted"})
	due := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	v.tagged = create(&taskv1.Task{
		Title: "A tagged", TagIds: []string{v.tagID},
		Due:       &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
		Reminders: []*taskv1.Reminder{{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Hour)}}},
	})
	v.pendingID, v.completedID, v.deletedID = v.pending.GetId(), v.completed.GetId(), v.deleted.GetId()
	if _, err := a.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: v.completedID})); err != nil {
		t.Fatal(err)
	}
	if _, err := a.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: v.deletedID})); err != nil {
		t.Fatal(err)
	}
	return v
}

// snapshotVictim records a's tasks as GetTask returns them, a's sync feed and tags, and
// the outbox row count.
func snapshotVictim(ctx context.Context, t *testing.T, e *env, a *clients, v *victim) {
	t.Helper()
	v.tasks = map[string]*taskv1.Task{}
	for role, id := range map[string]string{"pending": v.pendingID, "completed": v.completedID, "deleted": v.deletedID, "tagged": v.tagged.GetId()} {
		got, err := a.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: id}))
		if err != nil {
			t.Fatal(err)
		}
		v.tasks[role] = got.Msg.GetTask()
	}
	if s := v.tasks["completed"].GetStatus(); s != taskv1.TaskStatus_TASK_STATUS_COMPLETED {
		t.Fatalf("set-up: A's completed task has status %v", s)
	}
	if v.tasks["deleted"].GetDeletedAt() == nil {
		t.Fatal("set-up: A's deleted task is not deleted")
	}
	if got := v.tasks["tagged"]; len(got.GetTagIds()) != 1 || len(got.GetReminders()) != 1 {
		t.Fatalf("set-up: A's tagged task lacks its tag or reminder: %v", got)
	}
	sync, err := a.tasks.SyncTasks(ctx, connect.NewRequest(&taskv1.SyncTasksRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	v.sync = sync.Msg.GetTasks()
	tags, err := a.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	v.tags = tags.Msg.GetTags()
	if len(v.tags) != 1 || v.tags[0].GetTaskCount() != 1 {
		t.Fatalf("set-up: A's tags = %v; want one tag on one task", v.tags)
	}
	v.outbox = countRows(ctx, t, e, "outbox")
}

func checkVictimUnchanged(ctx context.Context, t *testing.T, e *env, a *clients, v *victim) {
	t.Helper()
	for role, before := range v.tasks {
		got, err := a.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: before.GetId()}))
		if err != nil {
			t.Errorf("A's %s task: %v", role, err)
			continue
		}
		if !proto.Equal(got.Msg.GetTask(), before) {
			t.Errorf("A's %s task changed:\nbefore %v\nafter  %v", role, before, got.Msg.GetTask())
		}
	}
	sync, err := a.tasks.SyncTasks(ctx, connect.NewRequest(&taskv1.SyncTasksRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if !equalTasks(sync.Msg.GetTasks(), v.sync) {
		t.Errorf("A's SyncTasks(0) changed:\nbefore %v\nafter  %v", v.sync, sync.Msg.GetTasks())
	}
	tags, err := a.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Msg.GetTags()) != len(v.tags) {
		t.Errorf("A's tags changed:\nbefore %v\nafter  %v", v.tags, tags.Msg.GetTags())
	} else {
		for i := range v.tags {
			if !proto.Equal(tags.Msg.GetTags()[i], v.tags[i]) {
				t.Errorf("A's tag changed:\nbefore %v\nafter  %v", v.tags[i], tags.Msg.GetTags()[i])
			}
		}
	}
	if n := countRows(ctx, t, e, "outbox"); n != v.outbox {
		t.Errorf("outbox has %d rows after B's attempts; had %d", n, v.outbox)
	}
}

// sameAsMissing fails unless got is the very error a missing id gave (want): same code
// and same message, so that the answer tells nothing about the other user's data.
func sameAsMissing(t *testing.T, what string, got, want error) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: succeeded; want NotFound like a missing id", what)
		return
	}
	var g, w *connect.Error
	if !errors.As(got, &g) || !errors.As(want, &w) {
		t.Errorf("%s: not Connect errors: %v / %v", what, got, want)
		return
	}
	if g.Code() != w.Code() || g.Message() != w.Message() {
		t.Errorf("%s: got %v %q; a missing id gets %v %q", what, g.Code(), g.Message(), w.Code(), w.Message())
	}
	if len(g.Details()) != len(w.Details()) {
		t.Errorf("%s: %d error details; a missing id gets %d", what, len(g.Details()), len(w.Details()))
	}
}

func noneOfA(t *testing.T, what string, tasks []*taskv1.Task, aIDs map[string]string) {
	t.Helper()
	for _, task := range tasks {
		for role, id := range aIDs {
			if task.GetId() == id {
				t.Errorf("%s shows A's %s task %v", what, role, task)
			}
		}
	}
}

func equalTasks(a, b []*taskv1.Task) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// countRows counts the rows of table in e's database.
func countRows(ctx context.Context, t testing.TB, e *env, table string) int64 {
	t.Helper()
	var n int64
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
