package appcallback_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// TestCallbacksNeedTheAppToken: served on a port, as daprd reaches it, a topic event or a
// binding event without the app API token (or with a wrong one, or with the right one
// followed by a wrong one) is refused and its handler never runs; with the token it is
// handled. Health checks and listings, which daprd sends without the token, stay open.
func TestCallbacksNeedTheAppToken(t *testing.T) {
	secret := strings.Repeat("k", 40)
	token, err := apptoken.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	rec := &publishtest.Recorder{}
	app := appcallback.New(zerolog.Nop(), rec, nil)
	var events, ticks atomic.Int32
	app.HandleTopic(meshnames.PubSub, "t", func(context.Context, appcallback.Event) error { events.Add(1); return nil })
	app.HandleBinding("cron", func(context.Context, []byte, map[string]string) error { ticks.Add(1); return nil })
	mux := http.NewServeMux()
	app.Mount(mux, token)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	conn, err := grpc.NewClient(strings.TrimPrefix(srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := runtimev1.NewAppCallbackClient(conn)

	for name, md := range map[string]metadata.MD{
		"no token":                nil,
		"wrong token":             metadata.Pairs(apptoken.Header, strings.Repeat("x", 40)),
		"right then wrong":        metadata.Pairs(apptoken.Header, secret, apptoken.Header, "x"),
		"forged caller, no token": metadata.Pairs("dapr-caller-app-id", "api"),
	} {
		ctx := metadata.NewOutgoingContext(context.Background(), md)
		_, err := client.OnTopicEvent(ctx, &runtimev1.TopicEventRequest{Id: "e1", PubsubName: meshnames.PubSub, Topic: "t", Data: []byte("{}")})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: topic event: %v; want Unauthenticated", name, err)
		}
		_, err = client.OnBindingEvent(ctx, &runtimev1.BindingEventRequest{Name: "cron"})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s: binding event: %v; want Unauthenticated", name, err)
		}
	}
	if events.Load() != 0 || ticks.Load() != 0 || len(rec.Messages()) != 0 {
		t.Fatalf("refused callbacks ran: %d events, %d ticks, %d published", events.Load(), ticks.Load(), len(rec.Messages()))
	}

	// daprd appends its token after whatever metadata it passes along: the last one counts.
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs(apptoken.Header, "from-the-publisher", apptoken.Header, secret))
	resp, err := client.OnTopicEvent(ctx, &runtimev1.TopicEventRequest{Id: "e1", PubsubName: meshnames.PubSub, Topic: "t", Data: []byte("{}")})
	if err != nil || resp.GetStatus() != runtimev1.TopicEventResponse_SUCCESS {
		t.Fatalf("topic event with the token: %v, %v", resp, err)
	}
	if _, err := client.OnBindingEvent(ctx, &runtimev1.BindingEventRequest{Name: "cron"}); err != nil {
		t.Fatalf("binding event with the token: %v", err)
	}
	if events.Load() != 1 || ticks.Load() != 1 {
		t.Fatalf("handled %d events, %d ticks; want 1 and 1", events.Load(), ticks.Load())
	}

	if _, err := runtimev1.NewAppCallbackHealthCheckClient(conn).HealthCheck(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatalf("health check without the token: %v", err)
	}
	if _, err := client.ListInputBindings(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatalf("ListInputBindings without the token: %v", err)
	}
}
