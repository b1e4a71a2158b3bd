// Package e2e drives the whole mesh — every service with a real daprd sidecar, Redis
// pub/sub, PostgreSQL — through the web gateway, as a browser or a CLI would.
package e2e

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// user is a signed-up user with clients through the gateway.
type user struct {
	id    string
	token string
	auth  authv1connect.AuthServiceClient
	tasks taskv1connect.TaskServiceClient
	tags  taskv1connect.TagServiceClient
	audit auditv1connect.AuditServiceClient
	inbox notificationv1connect.NotificationServiceClient
}

var userCounter atomic.Int64

// signUp creates a user through the gateway at baseURL; grpc picks the gRPC protocol
// (else Connect with JSON, as the browser).
func signUp(t testing.TB, baseURL string, grpc bool) *user {
	t.Helper()
	p := rpctest.Connect
	if grpc {
		p = rpctest.GRPC
	}
	email := fmt.Sprintf("e2e%d-%s@example.com", userCounter.Add(1), uuid.NewString()[:8])
	resp, err := authv1connect.NewAuthServiceClient(p.HTTPClient(), baseURL, p.Options...).SignUp(context.Background(),
		connect.NewRequest(&authv1.SignUpRequest{Email: email, Password: "correct horse battery", TimeZone: "Europe/Paris"}))
	if err != nil {
		t.Fatalf("sign up through the gateway: %v", err)
	}
	return asUser(baseURL, p, resp.Msg.GetUser().GetId(), resp.Msg.GetSession().GetAccessToken())
}

// asUser returns the clients of user id through the gateway at baseURL, sending token.
func asUser(baseURL string, p rpctest.Protocol, id, token string) *user {
	hc, opts := p.HTTPClient(), append([]connect.ClientOption{}, p.Options...)
	u := &user{id: id, token: token}
	opts = append(opts, connect.WithInterceptors(rpctest.Bearer(u.token)))
	u.auth = authv1connect.NewAuthServiceClient(hc, baseURL, opts...)
	u.tasks = taskv1connect.NewTaskServiceClient(hc, baseURL, opts...)
	u.tags = taskv1connect.NewTagServiceClient(hc, baseURL, opts...)
	u.audit = auditv1connect.NewAuditServiceClient(hc, baseURL, opts...)
	u.inbox = notificationv1connect.NewNotificationServiceClient(hc, baseURL, opts...)
	return u
}

// auditEntries lists the user's audit entries for a task.
func (u *user) auditEntries(t testing.TB, taskID string) []*auditv1.AuditEntry {
	t.Helper()
	resp, err := u.audit.ListAuditEntries(context.Background(), connect.NewRequest(&auditv1.ListAuditEntriesRequest{TaskId: taskID}))
	if err != nil {
		t.Fatalf("list audit entries: %v", err)
	}
	return resp.Msg.GetEntries()
}

// eventually polls cond every 20 ms until it holds or within passes; it returns how long
// it took.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
