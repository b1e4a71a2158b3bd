package invoke_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/rpclog"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

const procedure = "/taskmesh.test.v1.HeaderService/Echo"

// headerClient is a generated-style constructor (what invoke.Client takes).
type headerClient struct {
	c *connect.Client[wrapperspb.StringValue, wrapperspb.StringValue]
}

func newHeaderClient(hc connect.HTTPClient, base string, opts ...connect.ClientOption) headerClient {
	return headerClient{connect.NewClient[wrapperspb.StringValue, wrapperspb.StringValue](hc, base+procedure, opts...)}
}

// TestClientNamesTheTargetAndForwardsTheRequestID: a call through invoke speaks gRPC over
// h2c to the sidecar's address, names the target app for Dapr, and carries the request
// id of the call being handled.
func TestClientNamesTheTargetAndForwardsTheRequestID(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure,
		func(_ context.Context, req *connect.Request[wrapperspb.StringValue]) (*connect.Response[wrapperspb.StringValue], error) {
			got := req.Peer().Protocol + " " + req.Header().Get(invoke.AppIDHeader) + " " + req.Header().Get(rpclog.RequestIDHeader)
			return connect.NewResponse(wrapperspb.String(got)), nil
		}))
	base := rpctest.NewServer(t, mux)
	c := invoke.Client(invoke.New(strings.TrimPrefix(base, "http://")), "api", newHeaderClient)
	resp, err := c.c.CallUnary(rpclog.WithRequestID(context.Background(), "req-42"), connect.NewRequest(wrapperspb.String("")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Msg.GetValue(), "grpc api req-42"; got != want {
		t.Fatalf("the sidecar saw %q; want %q (protocol, dapr-app-id, request id)", got, want)
	}
}
