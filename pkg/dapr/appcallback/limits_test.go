package appcallback_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// TestCallbacksOverTheMeshLimitAreRefused: an event just under server.MaxMeshMessageBytes
// is delivered; one over it is refused with ResourceExhausted, and a gzipped one (64 KB on
// the wire, 64 MiB inflated) is refused too, before any handler sees them.
func TestCallbacksOverTheMeshLimitAreRefused(t *testing.T) {
	app := appcallback.New(zerolog.Nop(), &publishtest.Recorder{}, nil)
	delivered := 0
	app.HandleTopic(meshnames.PubSub, "t", func(context.Context, appcallback.Event) error { delivered++; return nil })
	secret := strings.Repeat("t", apptoken.MinLength)
	token, err := apptoken.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	app.Mount(mux, token)
	base := rpctest.NewServer(t, mux)
	url := base + "/dapr.proto.runtime.v1.AppCallback/OnTopicEvent"
	plain := connect.NewClient[runtimev1.TopicEventRequest, runtimev1.TopicEventResponse](rpctest.GRPC.HTTPClient(), url, connect.WithGRPC())
	gz := connect.NewClient[runtimev1.TopicEventRequest, runtimev1.TopicEventResponse](rpctest.GRPC.HTTPClient(), url, connect.WithGRPC(), connect.WithSendGzip())
	event := func(size int) *connect.Request[runtimev1.TopicEventRequest] {
		req := connect.NewRequest(&runtimev1.TopicEventRequest{Id: "e", PubsubName: meshnames.PubSub, Topic: "t", Data: make([]byte, size)})
		req.Header().Set(apptoken.Header, secret) // as the app's own sidecar sends it
		return req
	}

	if resp, err := plain.CallUnary(context.Background(), event(server.MaxMeshMessageBytes-1024)); err != nil || resp.Msg.GetStatus() != runtimev1.TopicEventResponse_SUCCESS || delivered != 1 {
		t.Fatalf("an event under the limit: %v, %v, %d deliveries; want it delivered", resp, err, delivered)
	}
	_, err = plain.CallUnary(context.Background(), event(server.MaxMeshMessageBytes+1))
	rpctest.WantCode(t, err, connect.CodeResourceExhausted)
	// Dapr sends no compressed callbacks: unless a dependency registered grpc-go's gzip
	// codec, a gzipped one is refused unread (Unimplemented); if one did, grpc-go stops
	// inflating at the same limit.
	_, err = gz.CallUnary(context.Background(), event(64<<20))
	if code := connect.CodeOf(err); code != connect.CodeResourceExhausted && code != connect.CodeUnimplemented {
		t.Fatalf("a gzipped 64 MiB event: %v; want it refused", err)
	}
	if delivered != 1 {
		t.Fatalf("%d deliveries; want the oversized events refused before the handler", delivered)
	}
}
