package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestRunServesMigratesAndShutsDownGracefully(t *testing.T) {
	base, logs, token, stop := rpctest.StartStandalone(t, run, auditv1connect.AuditServiceName)

	// A token signed by the api's key (the private half of the one run verifies with)
	// reads the freshly migrated, empty log.
	req := connect.NewRequest(&auditv1.ListAuditEntriesRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	resp, err := auditv1connect.NewAuditServiceClient(http.DefaultClient, base).ListAuditEntries(context.Background(), req)
	if err != nil {
		t.Fatalf("list against a freshly migrated database: %v\n%s", err, logs)
	}
	if n := len(resp.Msg.GetEntries()); n != 0 {
		t.Fatalf("%d entries in a new database", n)
	}
	if !strings.Contains(logs.String(), `"procedure":"/taskmesh.audit.v1.AuditService/ListAuditEntries"`) {
		t.Fatalf("the request was not logged:\n%s", logs)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after shutdown: %v", err)
	}
}

// Settings are checked before anything touches the database: the key first.
func TestRunRefusesToStartWithoutItsSettings(t *testing.T) { rpctest.WantRefusesBadSettings(t, run) }
