package e2e

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/google/uuid"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func testGatewayDescribesOnlyThePublicServices(t *testing.T, m *devmesh.Mesh) {
	client := grpcreflect.NewClient(rpctest.GRPC.HTTPClient(), m.WebURL)
	stream := client.NewStream(context.Background())
	defer stream.Close()
	names, err := stream.ListServices()
	if err != nil {
		t.Fatalf("reflection through the gateway (what grpcurl and buf curl use): %v", err)
	}
	var got []string
	for _, n := range names {
		got = append(got, string(n))
	}
	for _, want := range []string{"taskmesh.auth.v1.AuthService", "taskmesh.task.v1.TaskService", "taskmesh.task.v1.TagService",
		"taskmesh.audit.v1.AuditService", "taskmesh.notification.v1.NotificationService"} {
		if !slices.Contains(got, want) {
			t.Fatalf("reflection lists %v; missing %s", got, want)
		}
	}
	if slices.Contains(got, "taskmesh.internal.v1.TaskInternalService") {
		t.Fatal("reflection through the gateway describes TaskInternalService")
	}
}

func testGatewaySpeaksGRPCWeb(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false)
	c := taskv1connect.NewTaskServiceClient(http.DefaultClient, m.WebURL, connect.WithGRPCWeb(), connect.WithInterceptors(rpctest.Bearer(u.token)))
	resp, err := c.CreateTask(context.Background(), connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "over gRPC-Web"}}))
	if err != nil || resp.Msg.GetTask().GetTitle() != "over gRPC-Web" {
		t.Fatalf("CreateTask over gRPC-Web = %v, %v", resp, err)
	}
}

func testRequestIDCrossesTheMesh(t *testing.T, m *devmesh.Mesh) {
	id := "e2e-" + uuid.NewString()
	c := authv1connect.NewAuthServiceClient(http.DefaultClient, m.WebURL)
	req := connect.NewRequest(&authv1.SignInRequest{Email: "nobody-" + id + "@example.com", Password: "whatever it is"})
	req.Header().Set(rpclog.RequestIDHeader, id)
	_, err := c.SignIn(context.Background(), req)
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("SignIn of an unknown account = %v; want Unauthenticated", err)
	}
	api := m.Instances[meshnames.API][0]
	eventually(t, 2*time.Second, "the request id in the api's log", func() bool {
		b, err := os.ReadFile(api.AppLog)
		return err == nil && strings.Contains(string(b), `"request_id":"`+id+`"`)
	})
}
