package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

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

// testPlainConnectCallsWork calls the gateway as Connect's docs show with curl: a JSON
// POST with no Connect-Protocol-Version header.
func testPlainConnectCallsWork(t *testing.T, m *devmesh.Mesh) {
	u := signUp(t, m.WebURL, false)
	post := func(procedure, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, m.WebURL+procedure, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", procedure, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	status, body := post(taskv1connect.TaskServiceCreateTaskProcedure, u.token, `{"task":{"title":"created with curl"}}`)
	if status != http.StatusOK {
		t.Fatalf("CreateTask as curl sends it = %d %s; want 200", status, body)
	}
	var created taskv1.CreateTaskResponse
	if err := protojson.Unmarshal([]byte(body), &created); err != nil || created.GetTask().GetTitle() != "created with curl" {
		t.Fatalf("CreateTask answered %s (%v); want the created task", body, err)
	}
	got, err := u.tasks.GetTask(context.Background(), connect.NewRequest(&taskv1.GetTaskRequest{Id: created.GetTask().GetId()}))
	if err != nil || got.Msg.GetTask().GetTitle() != "created with curl" {
		t.Fatalf("the task created with curl reads back as %v, %v", got, err)
	}

	// Errors come back as Connect errors, with their HTTP status.
	if status, body := post(authv1connect.AuthServiceGetMeProcedure, "", `{}`); status != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthenticated"`) {
		t.Fatalf("GetMe without a token = %d %s; want 401 unauthenticated", status, body)
	}
	if status, body := post(taskv1connect.TaskServiceCreateTaskProcedure, u.token, `{"task":{"title":""}}`); status != http.StatusBadRequest || !strings.Contains(body, `"code":"invalid_argument"`) {
		t.Fatalf("CreateTask with no title = %d %s; want 400 invalid_argument", status, body)
	}
	// Still only the public services.
	if status, _ := post("/taskmesh.internal.v1.TaskInternalService/GetChangeSeq", u.token, `{"user_id":"`+u.id+`"}`); status != http.StatusNotFound {
		t.Fatalf("TaskInternalService as curl calls it = %d; want 404", status)
	}
}

// testSecurityHeaders checks the headers a browser gets from the gateway; the browser
// tests check that the app works under them.
func testSecurityHeaders(t *testing.T, m *devmesh.Mesh) {
	for _, path := range []string{"/", "/tasks/new"} {
		res, err := http.Get(m.WebURL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-") {
			t.Fatalf("GET %s: Content-Security-Policy %q; want script-src 'self', frame-ancestors 'none', nothing unsafe", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" ||
			!strings.Contains(res.Header.Get("Permissions-Policy"), "camera=()") {
			t.Fatalf("GET %s: headers %v; want nosniff, a Referrer-Policy and a Permissions-Policy", path, res.Header)
		}
	}
}
