package server_test

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// auditStub answers ListAuditEntries with one entry for the caller.
type auditStub struct {
	auditv1connect.UnimplementedAuditServiceHandler
}

func (auditStub) ListAuditEntries(ctx context.Context, _ *connect.Request[auditv1.ListAuditEntriesRequest]) (*connect.Response[auditv1.ListAuditEntriesResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&auditv1.ListAuditEntriesResponse{Entries: []*auditv1.AuditEntry{{Id: userID.String()}}}), nil
}

func TestUserServiceMuxServesSignedInUsersOnly(t *testing.T) {
	issuer := rpctest.NewIssuer(t)
	base := rpctest.NewServer(t, server.UserServiceMux[auditv1connect.AuditServiceHandler](
		zerolog.Nop(), issuer.Verifier, auditv1connect.AuditServiceName, auditv1connect.NewAuditServiceHandler, auditStub{}))

	rpctest.WantServing(t, base, auditv1connect.AuditServiceName)
	userID := uuid.New()
	token, _, err := issuer.Issue(userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			anonymous := auditv1connect.NewAuditServiceClient(p.HTTPClient(), base, p.Options...)
			_, err := anonymous.ListAuditEntries(context.Background(), connect.NewRequest(&auditv1.ListAuditEntriesRequest{}))
			rpctest.WantCode(t, err, connect.CodeUnauthenticated)

			signedIn := auditv1connect.NewAuditServiceClient(p.HTTPClient(), base,
				append(p.Options, connect.WithInterceptors(rpctest.Bearer(token)))...)
			resp, err := signedIn.ListAuditEntries(context.Background(), connect.NewRequest(&auditv1.ListAuditEntriesRequest{}))
			if err != nil {
				t.Fatalf("signed in: %v", err)
			}
			if got := resp.Msg.GetEntries(); len(got) != 1 || got[0].GetId() != userID.String() {
				t.Fatalf("signed in: entries %v; want one for user %s", got, userID)
			}
			// The validation interceptors run too: a malformed task_id never reaches svc.
			_, err = signedIn.ListAuditEntries(context.Background(), connect.NewRequest(&auditv1.ListAuditEntriesRequest{TaskId: "nope"}))
			rpctest.WantInvalid(t, err, "task_id")
		})
	}
}

func TestUserServiceMuxServesNoOtherService(t *testing.T) {
	issuer := rpctest.NewIssuer(t)
	base := rpctest.NewServer(t, server.UserServiceMux[auditv1connect.AuditServiceHandler](
		zerolog.Nop(), issuer.Verifier, auditv1connect.AuditServiceName, auditv1connect.NewAuditServiceHandler, auditStub{}))
	resp, err := http.Post(base+"/taskmesh.task.v1.TaskService/ListTasks", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another service's procedure: HTTP %d; want 404", resp.StatusCode)
	}
}
