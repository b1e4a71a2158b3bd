// Package appcallbacktest calls an app's Dapr callbacks the way daprd does, over gRPC on
// the app's port, for tests that play the sidecar or pose as someone who is not (the
// hostile-client suite). Only tests import it.
package appcallbacktest

import (
	"context"
	"strings"
	"testing"

	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
)

// Client calls one app's callbacks.
type Client struct{ c runtimev1.AppCallbackClient }

// Dial connects to the app at baseURL (http://host:port); the connection closes with the
// test.
func Dial(tb testing.TB, baseURL string) *Client {
	tb.Helper()
	conn, err := grpc.NewClient(strings.TrimPrefix(baseURL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &Client{runtimev1.NewAppCallbackClient(conn)}
}

// TopicEvent delivers ev with the gRPC metadata md (for example a forged
// dapr-caller-app-id, or no dapr-api-token) and returns the call's error; a delivered
// event's outcome is Success or Retry.
func (c *Client) TopicEvent(ctx context.Context, md metadata.MD, ev appcallback.Event) (appcallback.Outcome, error) {
	resp, err := c.c.OnTopicEvent(metadata.NewOutgoingContext(ctx, md), &runtimev1.TopicEventRequest{
		Id: ev.ID, PubsubName: ev.PubSub, Topic: ev.Topic, Source: ev.Source, Type: ev.Type,
		DataContentType: ev.ContentType, Data: ev.Data,
	})
	if err != nil {
		return appcallback.Retry, err
	}
	if resp.GetStatus() == runtimev1.TopicEventResponse_SUCCESS {
		return appcallback.Success, nil
	}
	return appcallback.Retry, nil
}

// BindingEvent delivers an input binding event named name with the gRPC metadata md.
func (c *Client) BindingEvent(ctx context.Context, md metadata.MD, name string) error {
	_, err := c.c.OnBindingEvent(metadata.NewOutgoingContext(ctx, md), &runtimev1.BindingEventRequest{Name: name})
	return err
}
