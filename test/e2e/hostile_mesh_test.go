package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1/internalv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/clientaddr"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback/appcallbacktest"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

func init() {
	registerHostile("9.2 mesh-only endpoints", hostileMeshOnly)
	registerHostile("9.3 abuse limits", hostileAbuseLimits)
}

// hostileMeshOnly: a client that reaches a service's port directly (not through the
// app's own sidecar) can call neither TaskInternalService, whatever caller it names, nor
// Dapr's callbacks; and the port's reflection does not advertise the internal service.
func hostileMeshOnly(t *testing.T, m *devmesh.Mesh, bystander *user) {
	ctx := context.Background()
	api := m.Instances[meshnames.API][0].URL()
	list, err := bystander.tasks.ListTasks(ctx, connect.NewRequest(&taskv1.ListTasksRequest{}))
	if err != nil || len(list.Msg.GetTasks()) == 0 {
		t.Fatalf("the bystander's tasks: %v (%d)", err, len(list.Msg.GetTasks()))
	}
	task := list.Msg.GetTasks()[0]

	for name, headers := range map[string]rpctest.Headers{
		"forged caller, no token":    {server.CallerAppIDHeader: meshnames.Recurring},
		"forged caller, wrong token": {server.CallerAppIDHeader: meshnames.Recurring, apptoken.Header: strings.Repeat("0", 64)},
	} {
		for _, p := range rpctest.Protocols {
			c := internalv1connect.NewTaskInternalServiceClient(p.HTTPClient(), api, append(slices.Clone(p.Options), connect.WithInterceptors(headers))...)
			_, err := c.GetTaskForUser(ctx, connect.NewRequest(&internalv1.GetTaskForUserRequest{UserId: bystander.id, TaskId: task.GetId()}))
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("%s, %s: GetTaskForUser of the bystander's task: %v; want Unauthenticated", name, p.Name, err)
			}
			_, err = c.SpawnOccurrence(ctx, connect.NewRequest(&internalv1.SpawnOccurrenceRequest{
				UserId: bystander.id, SourceTaskId: task.GetId(), SeriesId: uuid.NewString(), OccurrenceIndex: 2,
				Due: &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(time.Now().Add(24 * time.Hour))}},
			}))
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Errorf("%s, %s: SpawnOccurrence into the bystander's account: %v; want Unauthenticated", name, p.Name, err)
			}
		}
	}

	// Dapr's callbacks, straight at the ports: a forged task event (recurring would spawn
	// an occurrence; audit would write the bystander's log) and a forged cron tick.
	ev, _ := protojson.Marshal(&eventsv1.TaskEvent{EventId: uuid.NewString(), Type: eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED, UserId: bystander.id, Task: task, OccurredAt: timestamppb.Now()})
	for _, app := range []string{meshnames.Recurring, meshnames.Audit} {
		client := appcallbacktest.Dial(t, m.Instances[app][0].URL())
		for name, md := range map[string]metadata.MD{
			"no token":    metadata.Pairs(server.CallerAppIDHeader, meshnames.API),
			"wrong token": metadata.Pairs(apptoken.Header, strings.Repeat("0", 64)),
		} {
			_, err := client.TopicEvent(ctx, md, appcallback.Event{
				ID: uuid.NewString(), PubSub: meshnames.PubSub, Topic: meshnames.TaskEvents,
				ContentType: "application/json", Data: ev,
			})
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s: topic event with %s: %v; want Unauthenticated", app, name, err)
			}
		}
	}
	err = appcallbacktest.Dial(t, m.Instances[meshnames.API][0].URL()).BindingEvent(ctx, nil, meshnames.ReminderCron)
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("api: cron binding event without the token: %v; want Unauthenticated", err)
	}

	// Reflection on the api's own port: the public services, not the internal one.
	stream := grpcreflect.NewClient(rpctest.GRPC.HTTPClient(), api).NewStream(ctx)
	defer stream.Close()
	names, err := stream.ListServices()
	if err != nil {
		t.Fatalf("reflection on the api's port: %v", err)
	}
	var got []string
	for _, n := range names {
		got = append(got, string(n))
	}
	if !slices.Contains(got, "taskmesh.task.v1.TaskService") || slices.Contains(got, internalv1connect.TaskInternalServiceName) {
		t.Errorf("reflection on the api's port lists %v; want TaskService and not TaskInternalService", got)
	}
}

// perAddressFree is how many failed sign-ins one address gets before it must wait
// (handler.PerAddressBackoff.Free in services/api).
const perAddressFree = 10

// hostileAbuseLimits: X-Forwarded-For, the gateway's own client-address header and a
// forged dapr-caller-app-id: web, sent through the gateway or straight to the api, do not
// give a client a fresh per-address bucket: its failures all count against its real
// address, which is then delayed (not locked: it signs in once the delay has passed).
func hostileAbuseLimits(t *testing.T, m *devmesh.Mesh, _ *user) {
	ctx := context.Background()
	own := signUp(t, m.WebURL, false)
	me, err := own.auth.GetMe(ctx, connect.NewRequest(&authv1.GetMeRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	targets := []string{m.WebURL, m.Instances[meshnames.API][0].URL()}
	limited := false
	for i := range perAddressFree + 1 {
		spoof := fmt.Sprintf("198.51.100.%d", i+1)
		c := authv1connect.NewAuthServiceClient(http.DefaultClient, targets[i%2], connect.WithInterceptors(rpctest.Headers{
			"X-Forwarded-For": spoof, clientaddr.Header: spoof, server.CallerAppIDHeader: meshnames.Web,
		}))
		_, err := c.SignIn(ctx, connect.NewRequest(&authv1.SignInRequest{Email: fmt.Sprintf("nobody-%s@example.com", uuid.NewString()[:8]), Password: "wrong password!"}))
		if code := connect.CodeOf(err); code == connect.CodeResourceExhausted {
			limited = true
			break
		} else if code != connect.CodeUnauthenticated {
			t.Fatalf("attempt %d (%s): %v; want Unauthenticated or ResourceExhausted", i+1, targets[i%2], err)
		}
	}
	if !limited {
		t.Fatalf("%d failed sign-ins with spoofed addresses were never delayed: the spoofed headers moved the per-address limit", perAddressFree+1)
	}
	// A delay, not a lock-out: the same address signs in (with the right password) once
	// it has passed.
	c := authv1connect.NewAuthServiceClient(http.DefaultClient, m.WebURL)
	eventually(t, 40*time.Second, "a sign-in after the per-address delay", func() bool {
		_, err := c.SignIn(ctx, connect.NewRequest(&authv1.SignInRequest{Email: me.Msg.GetUser().GetEmail(), Password: "correct horse battery"}))
		return err == nil
	})
}
