package e2e

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
)

// The hostile-client suite (issue 9): requests a hostile client would send, each against
// the real mesh, through the gateway and straight to each service's port. Every case
// asserts that it was refused cleanly (the code or status a client would see); the suite
// then asserts what holds for all of them: every service is still healthy, and a bystander
// user's data, as that user reads it through the gateway, did not change.
//
// Cases live in hostile_<area>_test.go files and register themselves from init, so each
// area of the hardening keeps its cases beside its own helpers.

// hostileCase is one area's cases. run gets the bystander so that cases can aim at a real
// user's ids; it must not change that user's data (a case that changes data on purpose
// uses users of its own).
type hostileCase struct {
	name string
	run  func(t *testing.T, m *devmesh.Mesh, bystander *user)
}

var hostileCases []hostileCase

func registerHostile(name string, run func(t *testing.T, m *devmesh.Mesh, bystander *user)) {
	hostileCases = append(hostileCases, hostileCase{name, run})
}

func TestHostile(t *testing.T) {
	if len(hostileCases) == 0 {
		t.Fatal("no hostile cases are registered")
	}
	m := meshtest.Start(t)
	bystander := signUp(t, m.WebURL, false)
	seedBystander(t, bystander)
	before := bystanderView(t, bystander)

	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, m, bystander)
			for app, instances := range m.Instances {
				for _, in := range instances {
					if err := in.WaitHealthy(context.Background(), 30*time.Second); err != nil {
						t.Fatalf("%s is not healthy after %q: %v", app, c.name, err)
					}
				}
			}
			after := bystanderView(t, bystander)
			for i := range before {
				if !proto.Equal(before[i], after[i]) {
					t.Fatalf("the bystander's data changed during %q:\nbefore %v\nafter  %v", c.name, before[i], after[i])
				}
			}
		})
	}
}

// seedBystander gives the bystander a task with a tag and a due date, so that
// a case that reaches the user's data would show in bystanderView.
func seedBystander(t *testing.T, u *user) {
	t.Helper()
	ctx := context.Background()
	tag, err := u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: "bystander"}))
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	_, err = u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{
		Title:       "the bystander's task",
		Description: "nothing a hostile client sends may change this",
		Priority:    taskv1.Priority_PRIORITY_HIGH,
		TagIds:      []string{tag.Msg.GetTag().GetId()},
		Due:         &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(due)}},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the bystander's task in the activity log", func() bool {
		resp, err := u.audit.ListAuditEntries(ctx, connect.NewRequest(&auditv1.ListAuditEntriesRequest{}))
		return err == nil && len(resp.Msg.GetEntries()) == 1
	})
}

// bystanderView is everything the bystander can read: tasks (with tombstones), tags,
// activity and inbox.
func bystanderView(t *testing.T, u *user) []proto.Message {
	t.Helper()
	ctx := context.Background()
	sync, err := u.tasks.SyncTasks(ctx, connect.NewRequest(&taskv1.SyncTasksRequest{}))
	if err != nil {
		t.Fatalf("the bystander's SyncTasks: %v", err)
	}
	tags, err := u.tags.ListTags(ctx, connect.NewRequest(&taskv1.ListTagsRequest{}))
	if err != nil {
		t.Fatalf("the bystander's ListTags: %v", err)
	}
	audit, err := u.audit.ListAuditEntries(ctx, connect.NewRequest(&auditv1.ListAuditEntriesRequest{}))
	if err != nil {
		t.Fatalf("the bystander's ListAuditEntries: %v", err)
	}
	inbox, err := u.inbox.ListNotifications(ctx, connect.NewRequest(&notificationv1.ListNotificationsRequest{}))
	if err != nil {
		t.Fatalf("the bystander's ListNotifications: %v", err)
	}
	return []proto.Message{sync.Msg, tags.Msg, audit.Msg, inbox.Msg}
}
