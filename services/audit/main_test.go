package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1/auditv1connect"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestRunServesMigratesAndShutsDownGracefully(t *testing.T) {
	dbURL := pgtest.NewDatabase(t, nil) // empty: run must migrate it
	_, keyFile, issuer := rpctest.KeyFiles(t)
	base, logs, stop := rpctest.StartRun(t, run, map[string]string{
		"DATABASE_URL": dbURL, "AUTH_VERIFY_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0",
	})
	ctx := context.Background()

	rpctest.WantServing(t, base, auditv1connect.AuditServiceName)
	if !strings.Contains(logs.String(), "no Dapr sidecar") {
		t.Fatalf("running without a sidecar was not logged:\n%s", logs)
	}
	// A token signed by the api's key (the private half of the one run verifies with)
	// reads the freshly migrated, empty log.
	token, _, err := issuer.Issue(uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	req := connect.NewRequest(&auditv1.ListAuditEntriesRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	resp, err := auditv1connect.NewAuditServiceClient(http.DefaultClient, base).ListAuditEntries(ctx, req)
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

func TestRunRefusesToStartWithoutItsSettings(t *testing.T) {
	privFile, _, _ := rpctest.KeyFiles(t)
	privPEM, err := os.ReadFile(privFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		// Settings are checked before anything touches the database: the key first.
		"nothing":               {env: map[string]string{}, want: "AUTH_VERIFY_KEY"},
		"no key":                {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x"}, want: "AUTH_VERIFY_KEY"},
		"a key that is not PEM": {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "AUTH_VERIFY_KEY": "secret"}, want: "AUTH_VERIFY_KEY"},
		// The api's private key is accepted: the error is then about the database.
		"unreachable database": {env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", "AUTH_VERIFY_KEY": string(privPEM)}, want: "127.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), func(k string) string { return tc.env[k] }, &rpctest.LogBuffer{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v; want an error naming %s", err, tc.want)
			}
		})
	}
}
