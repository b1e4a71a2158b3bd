package e2e

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// inboxFor returns the user's notifications about a task.
func inboxFor(t testing.TB, u *user, taskID string) []*notificationv1.Notification {
	t.Helper()
	resp, err := u.inbox.ListNotifications(context.Background(), connect.NewRequest(&notificationv1.ListNotificationsRequest{PageSize: 200}))
	if err != nil {
		t.Fatalf("list notifications: %v", err)
	}
	var out []*notificationv1.Notification
	for _, n := range resp.Msg.GetNotifications() {
		if n.GetTaskId() == taskID {
			out = append(out, n)
		}
	}
	return out
}

// taskWithReminder creates a task reminding at remindAt.
func taskWithReminder(t testing.TB, u *user, title string, remindAt time.Time) *taskv1.Task {
	t.Helper()
	r, err := u.tasks.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title: title, Reminders: []*taskv1.Reminder{{When: &taskv1.Reminder_At{At: timestamppb.New(remindAt)}}},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	return r.Msg.GetTask()
}

func testReminderReachesSocketAndInbox(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false)
	s, _ := dialSocket(t, m.WebURL, u, 0)
	remindAt := time.Now().Add(2 * time.Second)
	task := taskWithReminder(t, u, "call the dentist", remindAt)
	done := taskWithReminder(t, u, "done before its reminder", remindAt)
	if _, err := u.tasks.CompleteTask(context.Background(), connect.NewRequest(&taskv1.CompleteTaskRequest{Id: done.GetId()})); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var reminder *eventsv1.TaskUpdateEvent
	for reminder == nil {
		f, err := s.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no reminder on the socket: %v", err)
		}
		if up := f.GetUpdate(); up.GetKind() == eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER {
			reminder = up
		}
	}
	late := time.Since(remindAt)
	t.Logf("reminder on the socket %s after its time", late)
	if n := reminder.GetNotification(); n.GetTaskId() != task.GetId() || n.GetTitle() != "call the dentist" {
		t.Fatalf("reminder = %v; want the dentist task's", reminder)
	}
	if late > 5*time.Second {
		t.Fatalf("the reminder came %s late", late)
	}
	if got := inboxFor(t, u, task.GetId()); len(got) != 1 || got[0].GetReadAt() != nil {
		t.Fatalf("inbox for the task = %v; want one unread notification", got)
	}
	time.Sleep(time.Second)
	if got := inboxFor(t, u, done.GetId()); len(got) != 0 {
		t.Fatalf("a task completed before its reminder got %d notifications", len(got))
	}
	s.silent(500 * time.Millisecond) // and no second reminder
}

func testReminderSurvivesTheAPIBeingDownAcrossItsTime(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false)
	remindAt := time.Now().Add(2 * time.Second)
	task := taskWithReminder(t, u, "while the api is down", remindAt)
	api := m.Instances[meshnames.API][0]
	api.Stop()
	time.Sleep(time.Until(remindAt) + 2*time.Second)
	if err := api.Start(); err != nil {
		t.Fatal(err)
	}
	if err := api.WaitHealthy(context.Background(), time.Minute); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the missed reminder in the inbox", func() bool { return len(inboxFor(t, u, task.GetId())) > 0 })
	time.Sleep(2 * time.Second)
	if got := inboxFor(t, u, task.GetId()); len(got) != 1 {
		t.Fatalf("%d notifications after the restart; want exactly 1", len(got))
	}
}
