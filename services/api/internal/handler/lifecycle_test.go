package handler_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestTaskLifecycleTransitionsAndPreconditions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.GRPC)
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "water plants"}}))
	if err != nil {
		t.Fatal(err)
	}
	id := r.Msg.GetTask().GetId()
	complete := func() (*taskv1.Task, error) {
		m, err := rpctest.Msg(u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: id})))
		return m.GetTask(), err
	}
	reopen := func() (*taskv1.Task, error) {
		m, err := rpctest.Msg(u.tasks.ReopenTask(ctx, connect.NewRequest(&taskv1.ReopenTaskRequest{Id: id})))
		return m.GetTask(), err
	}
	del := func() (*taskv1.Task, error) {
		m, err := rpctest.Msg(u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: id})))
		return m.GetTask(), err
	}
	restore := func() (*taskv1.Task, error) {
		m, err := rpctest.Msg(u.tasks.RestoreTask(ctx, connect.NewRequest(&taskv1.RestoreTaskRequest{Id: id})))
		return m.GetTask(), err
	}
	_, err = reopen()
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	_, err = restore()
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)

	done, err := complete()
	if err != nil {
		t.Fatal(err)
	}
	if done.GetStatus() != taskv1.TaskStatus_TASK_STATUS_COMPLETED || done.GetCompletedAt() == nil {
		t.Fatalf("completed task = %v", done)
	}
	_, err = complete()
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)

	open, err := reopen()
	if err != nil {
		t.Fatal(err)
	}
	if open.GetStatus() != taskv1.TaskStatus_TASK_STATUS_PENDING || open.GetCompletedAt() != nil {
		t.Fatalf("reopened task = %v", open)
	}

	gone, err := del()
	if err != nil {
		t.Fatal(err)
	}
	if gone.GetDeletedAt() == nil {
		t.Fatal("deleted task has no deleted_at")
	}
	_, err = del()
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	_, err = complete()
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	_, err = u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
		Task: &taskv1.Task{Id: id, Title: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}, ExpectedVersion: gone.GetVersion(),
	}))
	rpctest.WantCode(t, err, connect.CodeFailedPrecondition)
	// Deleted tasks can still be read (for undo) but are hidden from lists.
	if _, err := u.tasks.GetTask(ctx, connect.NewRequest(&taskv1.GetTaskRequest{Id: id})); err != nil {
		t.Fatal(err)
	}
	list, err := u.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Msg.GetTasks()) != 0 {
		t.Fatal("a deleted task is listed")
	}
	back, err := restore()
	if err != nil {
		t.Fatal(err)
	}
	if back.GetDeletedAt() != nil || back.GetTitle() != "water plants" || back.GetVersion() != 5 {
		t.Fatalf("restored task = %v; want live, same title, version 5", back)
	}
}

func TestUpdateTaskMovesRelativeRemindersWithTheDueTime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect)
	due := time.Date(2030, 3, 10, 9, 0, 0, 0, time.UTC)
	fixed := due.Add(-48 * time.Hour)
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: "dentist", Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
		Reminders: []*taskv1.Reminder{
			{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(30 * time.Minute)}},
			{When: &taskv1.Reminder_At{At: timestamppb.New(fixed)}},
		},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	before := r.Msg.GetTask()
	later := due.Add(3 * time.Hour)
	up, err := u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
		Task:       &taskv1.Task{Id: before.GetId(), Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(later)}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due"}}, ExpectedVersion: 1,
	}))
	if err != nil {
		t.Fatal(err)
	}
	rs := up.Msg.GetTask().GetReminders()
	if len(rs) != 2 {
		t.Fatalf("reminders after moving the due: %v", rs)
	}
	if !rs[0].GetRemindAt().AsTime().Equal(later.Add(-30 * time.Minute)) {
		t.Fatalf("relative reminder at %v; want 30 min before the new due", rs[0].GetRemindAt().AsTime())
	}
	if !rs[1].GetRemindAt().AsTime().Equal(fixed) || rs[1].GetId() != before.GetReminders()[1].GetId() {
		t.Fatal("the absolute reminder moved or lost its id")
	}
	if rs[0].GetId() == before.GetReminders()[0].GetId() {
		t.Fatal("the moved reminder kept its id: it would keep a stale fired state")
	}
	// Moving the due before the absolute reminder is refused.
	_, err = u.tasks.UpdateTask(ctx, connect.NewRequest(&taskv1.UpdateTaskRequest{
		Task:       &taskv1.Task{Id: before.GetId(), Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(fixed.Add(-time.Hour))}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due"}}, ExpectedVersion: 2,
	}))
	rpctest.WantInvalid(t, err, "task.reminders[1].at")
}

func TestAllDayTaskDeadlineIsTheEndOfTheDayInTheUsersZone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.newUser(rpctest.Connect) // Europe/Paris
	r, err := u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: "tax return", Due: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2030, Month: 7, Day: 14}}},
		Reminders: []*taskv1.Reminder{{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(24 * time.Hour)}}},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	task := r.Msg.GetTask()
	if d := task.GetDue().GetDate(); d.GetYear() != 2030 || d.GetMonth() != 7 || d.GetDay() != 14 {
		t.Fatalf("due = %v", task.GetDue())
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	// Reminders of an all-day task count back from 09:00 local on its day.
	if want := time.Date(2030, 7, 13, 9, 0, 0, 0, paris); !task.GetReminders()[0].GetRemindAt().AsTime().Equal(want) {
		t.Fatalf("reminder at %v; want %v", task.GetReminders()[0].GetRemindAt().AsTime(), want)
	}
	var dueAt time.Time
	if err := e.pool.QueryRow(ctx, `SELECT due_at FROM tasks WHERE id = $1`, task.GetId()).Scan(&dueAt); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2030, 7, 15, 0, 0, 0, 0, paris); !dueAt.Equal(want) {
		t.Fatalf("deadline %v; want the end of the day in Paris, %v", dueAt, want)
	}
}
