package handler_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestCreateAndGetTaskOverEachProtocol(t *testing.T) {
	e := newEnv(t)
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			ctx := context.Background()
			u := e.newUser(p)
			tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "Work", Color: "#00aa00"}))
			if err != nil {
				t.Fatal(err)
			}
			due := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)
			created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
				Title: "  Buy presents ", Description: "for everyone", Priority: taskv1.Priority_PRIORITY_HIGH,
				TagIds: []string{tag.Msg.GetTag().GetId()},
				Due:    &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
				Reminders: []*taskv1.Reminder{
					{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(2 * time.Hour)}},
					{When: &taskv1.Reminder_At{At: timestamppb.New(due.Add(-24 * time.Hour))}},
				},
			}}))
			if err != nil {
				t.Fatal(err)
			}
			got, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: created.Msg.GetTask().GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			task := got.Msg.GetTask()
			if task.GetTitle() != "Buy presents" || task.GetDescription() != "for everyone" ||
				task.GetPriority() != taskv1.Priority_PRIORITY_HIGH || task.GetStatus() != taskv1.TaskStatus_TASK_STATUS_PENDING {
				t.Fatalf("stored task differs: %v", task)
			}
			if !task.GetDue().GetAt().AsTime().Equal(due) {
				t.Fatalf("due = %v; want %v", task.GetDue().GetAt().AsTime(), due)
			}
			if len(task.GetTagIds()) != 1 || task.GetTagIds()[0] != tag.Msg.GetTag().GetId() {
				t.Fatalf("tags = %v", task.GetTagIds())
			}
			rs := task.GetReminders()
			if len(rs) != 2 || !rs[0].GetRemindAt().AsTime().Equal(due.Add(-2*time.Hour)) || !rs[1].GetRemindAt().AsTime().Equal(due.Add(-24*time.Hour)) {
				t.Fatalf("reminders = %v", rs)
			}
			if task.GetVersion() != 1 || task.GetChangeSeq() != 1 {
				t.Fatalf("version %d, change_seq %d; want 1, 1", task.GetVersion(), task.GetChangeSeq())
			}
		})
	}
}

func TestUpdateTaskWithStaleVersionIsAbortedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "v1"}}))
	if err != nil {
		t.Fatal(err)
	}
	id := created.Msg.GetTask().GetId()
	update := func(title string, version int64) (*taskv1.Task, error) {
		resp, err := u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
			Task: &taskv1.Task{Id: id, Title: title}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: version,
		}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetTask(), nil
	}
	v2, err := update("v2", 1)
	if err != nil {
		t.Fatal(err)
	}
	if v2.GetTitle() != "v2" || v2.GetVersion() != 2 || v2.GetChangeSeq() != 2 {
		t.Fatalf("after update: %v", v2)
	}
	_, err = update("stale", 1)
	rpctest.WantCode(t, err, connect.CodeAborted)
	got, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: id}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Msg.GetTask().GetTitle() != "v2" || got.Msg.GetTask().GetVersion() != 2 {
		t.Fatalf("a stale update changed the task: %v", got.Msg.GetTask())
	}
}

// TestCreateTaskAnswersWhatIsStored: CreateTask builds its answer from the rows it wrote;
// that answer is exactly what GetTask reads back (tags in name order whatever the request's
// order, reminders in position order with their ids, series, version, timestamps).
func TestCreateTaskAnswersWhatIsStored(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	var tagIDs []string
	for _, name := range []string{"zebra", "Apple", "mango"} {
		tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: name}))
		if err != nil {
			t.Fatal(err)
		}
		tagIDs = append(tagIDs, tag.Msg.GetTag().GetId())
	}
	due := time.Date(2031, 3, 9, 0, 0, 0, 0, time.UTC)
	for _, in := range []*taskv1.Task{
		{Title: "bare"},
		{
			Title: "full", Description: "d", Priority: taskv1.Priority_PRIORITY_LOW, TagIds: tagIDs,
			Due: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2031, Month: 3, Day: 9}}},
			Reminders: []*taskv1.Reminder{
				{When: &taskv1.Reminder_At{At: timestamppb.New(due.Add(-48 * time.Hour))}},
				{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(time.Hour)}},
			},
			Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_MONTHLY, Interval: 1},
		},
	} {
		t.Run(in.GetTitle(), func(t *testing.T) {
			created, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: in}))
			if err != nil {
				t.Fatal(err)
			}
			got, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: created.Msg.GetTask().GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(created.Msg.GetTask(), got.Msg.GetTask()) {
				t.Errorf("CreateTask answered\n%v\nGetTask reads\n%v", created.Msg.GetTask(), got.Msg.GetTask())
			}
			if len(in.GetTagIds()) > 0 {
				want := []string{tagIDs[1], tagIDs[2], tagIDs[0]} // Apple, mango, zebra
				if !slices.Equal(created.Msg.GetTask().GetTagIds(), want) {
					t.Errorf("tags %v, want %v (by name)", created.Msg.GetTask().GetTagIds(), want)
				}
			}
		})
	}
}
