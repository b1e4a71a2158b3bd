// Package appcallback is the sidecar calling in to the app (Dapr running with
// --app-protocol grpc): it implements the AppCallback services (topic events, input
// bindings, app health) that daprd calls on the service's one port, next to its Connect
// handlers.
//
// Delivery is at-least-once. A handler returns nil when the event is handled (or was
// already: handlers deduplicate on the event id), an ordinary error for a transient
// failure (Dapr delivers it again later), or a Permanent error for a poison message,
// which is published to the topic's dead-letter topic and acknowledged, never dropped
// silently. Subscriptions themselves are declared in Dapr Subscription resources
// (deploy/dapr), so that operators see and tune them; events arrive here by topic.
package appcallback

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	commonv1 "github.com/dapr/dapr/pkg/proto/common/v1"
	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// Event is one delivered pub/sub event.
type Event struct {
	ID          string // CloudEvent id: the publisher's event id
	PubSub      string
	Topic       string
	Source      string
	Type        string
	ContentType string
	Data        []byte
}

// TopicHandler handles one event of a topic.
type TopicHandler func(ctx context.Context, ev Event) error

// BindingHandler handles one input binding event (a cron tick, say).
type BindingHandler func(ctx context.Context, data []byte, metadata map[string]string) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as a poison message: retrying cannot help.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// App dispatches daprd's callbacks to handlers.
type App struct {
	runtimev1.UnimplementedAppCallbackServer
	runtimev1.UnimplementedAppCallbackHealthCheckServer

	log       zerolog.Logger
	publisher publish.Publisher
	healthy   func(context.Context) error

	mu       sync.RWMutex
	topics   map[string]TopicHandler // "pubsub/topic"
	bindings map[string]BindingHandler
	grpc     *grpc.Server
}

// New returns an App. publisher sends poison messages to dead-letter topics (required:
// an event for a topic no handler serves is poison too, so any App can need it); healthy
// (may be nil) is asked by Dapr's app health checks, so that Dapr stops delivering while
// the service cannot work (its database is down, say).
func New(log zerolog.Logger, publisher publish.Publisher, healthy func(context.Context) error) *App {
	a := &App{
		log: log, publisher: publisher, healthy: healthy,
		topics: map[string]TopicHandler{}, bindings: map[string]BindingHandler{},
		// grpc-go bounds a received message (4 MiB unless told) as sent and once
		// decompressed; set here so the bound is the mesh's documented one, not a default.
		grpc: grpc.NewServer(grpc.MaxRecvMsgSize(server.MaxMeshMessageBytes)),
	}
	runtimev1.RegisterAppCallbackServer(a.grpc, a)
	runtimev1.RegisterAppCallbackHealthCheckServer(a.grpc, a)
	return a
}

// HandleTopic routes events of topic on the pub/sub component pubsub to h.
func (a *App) HandleTopic(pubsub, topic string, h TopicHandler) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.topics[pubsub+"/"+topic] = h
}

// HandleBinding routes events of the input binding name to h.
func (a *App) HandleBinding(name string, h BindingHandler) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.bindings[name] = h
}

// Mount serves the AppCallback gRPC services on mux (the service's h2c mux). Only calls
// carrying token (see package apptoken) reach a callback that acts: topic events, input
// bindings, invocations. Health checks and the listing of bindings and subscriptions,
// which daprd sends without the token and which change nothing, are open. With a zero
// token every acting callback is refused.
func (a *App) Mount(mux *http.ServeMux, token apptoken.Token) {
	guarded := requireToken(token, a.grpc)
	for name := range a.grpc.GetServiceInfo() {
		mux.Handle("/"+name+"/", guarded)
	}
}

// open are the callbacks daprd makes without the app API token; none of them acts.
var open = map[string]bool{
	"/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck": true,
	"/dapr.proto.runtime.v1.AppCallback/ListTopicSubscriptions": true,
	"/dapr.proto.runtime.v1.AppCallback/ListInputBindings":      true,
}

// requireToken refuses, as gRPC UNAUTHENTICATED, every call but the open ones that does
// not carry token.
func requireToken(token apptoken.Token, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !open[r.URL.Path] && !token.MatchesHeader(r.Header) {
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Grpc-Status", strconv.Itoa(int(codes.Unauthenticated)))
			w.Header().Set("Grpc-Message", "only the app's own Dapr sidecar may deliver events")
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Stop ends in-flight callbacks' streams; call it after the HTTP server has drained.
func (a *App) Stop() { a.grpc.Stop() }

// ListTopicSubscriptions implements AppCallback: none here, subscriptions are declarative.
func (a *App) ListTopicSubscriptions(context.Context, *emptypb.Empty) (*runtimev1.ListTopicSubscriptionsResponse, error) {
	return &runtimev1.ListTopicSubscriptionsResponse{}, nil
}

// ListInputBindings implements AppCallback.
func (a *App) ListInputBindings(context.Context, *emptypb.Empty) (*runtimev1.ListInputBindingsResponse, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	names := make([]string, 0, len(a.bindings))
	for n := range a.bindings {
		names = append(names, n)
	}
	return &runtimev1.ListInputBindingsResponse{Bindings: names}, nil
}

// OnInvoke implements AppCallback; the services are invoked over gRPC proxying instead.
func (a *App) OnInvoke(context.Context, *commonv1.InvokeRequest) (*commonv1.InvokeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "invoke the Connect services over gRPC proxying")
}

// Outcome is what Dapr is told about a delivered event.
type Outcome int

const (
	// Success acknowledges the event: it was handled, or moved to the dead-letter topic.
	Success Outcome = iota
	// Retry makes Dapr deliver the event again later.
	Retry
)

func (o Outcome) String() string {
	if o == Success {
		return "SUCCESS"
	}
	return "RETRY"
}

// OnTopicEvent implements AppCallback.
func (a *App) OnTopicEvent(ctx context.Context, req *runtimev1.TopicEventRequest) (*runtimev1.TopicEventResponse, error) {
	out := a.Deliver(ctx, Event{
		ID: req.GetId(), PubSub: req.GetPubsubName(), Topic: req.GetTopic(), Source: req.GetSource(),
		Type: req.GetType(), ContentType: req.GetDataContentType(), Data: req.GetData(),
	})
	if out == Success {
		return &runtimev1.TopicEventResponse{Status: runtimev1.TopicEventResponse_SUCCESS}, nil
	}
	return &runtimev1.TopicEventResponse{Status: runtimev1.TopicEventResponse_RETRY}, nil
}

// Deliver hands ev to its topic's handler, exactly as OnTopicEvent does for an event from
// Dapr, and says what Dapr is told: Success when the handler succeeded or the event was
// poison and is now on the dead-letter topic, Retry otherwise.
func (a *App) Deliver(ctx context.Context, ev Event) Outcome {
	log := a.log.With().Str("topic", ev.Topic).Str("event_id", ev.ID).Logger()
	a.mu.RLock()
	h, ok := a.topics[ev.PubSub+"/"+ev.Topic]
	a.mu.RUnlock()
	if !ok {
		log.Error().Str("pubsub", ev.PubSub).Msg("event for a topic this service does not handle")
		return a.deadLetter(ctx, log, ev, errors.New("no handler for this topic"))
	}
	err := handleTopic(log.WithContext(ctx), h, ev)
	switch {
	case err == nil:
		return Success
	case IsPermanent(err):
		return a.deadLetter(ctx, log, ev, err)
	default:
		log.Warn().Err(err).Msg("event failed; Dapr will deliver it again")
		return Retry
	}
}

// deadLetter publishes a poison event to its topic's dead-letter topic, with the reason,
// and acknowledges it; if that publish fails, Dapr is asked to retry the event instead.
func (a *App) deadLetter(ctx context.Context, log zerolog.Logger, ev Event, cause error) Outcome {
	dlq := meshnames.DeadLetter(ev.Topic)
	err := a.publisher.Publish(ctx, publish.Message{
		PubSub: ev.PubSub, Topic: dlq, Data: ev.Data, ContentType: ev.ContentType,
		ID: ev.ID, Type: DeadLetterType,
		Metadata: map[string]string{"reason": truncate(cause.Error(), 500)},
	})
	if err != nil {
		log.Error().Err(err).AnErr("cause", cause).Msg("poison event could not be dead-lettered; retrying it")
		return Retry
	}
	log.Error().Err(cause).Str("dead_letter_topic", dlq).Msg("poison event moved to the dead-letter topic")
	return Success
}

// DeadLetterType is the CloudEvent type of an event moved to a dead-letter topic.
const DeadLetterType = "taskmesh.deadletter"

// OnBindingEvent implements AppCallback. An error makes Dapr report the failure (a cron
// binding simply fires again at its next tick).
func (a *App) OnBindingEvent(ctx context.Context, req *runtimev1.BindingEventRequest) (*runtimev1.BindingEventResponse, error) {
	a.mu.RLock()
	h, ok := a.bindings[req.GetName()]
	a.mu.RUnlock()
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no handler for binding %q", req.GetName())
	}
	log := a.log.With().Str("binding", req.GetName()).Logger()
	if err := handleBinding(log.WithContext(ctx), h, req.GetData(), req.GetMetadata()); err != nil {
		log.Error().Err(err).Msg("binding event failed")
		return nil, status.Error(codes.Internal, "binding event failed")
	}
	return &runtimev1.BindingEventResponse{}, nil
}

// handleTopic calls h, turning a panic into a Permanent error: grpc-go does not recover
// handler panics, so one would take the whole service down, and redelivering the event
// would most likely panic again; on the dead-letter topic it is kept for a look.
func handleTopic(ctx context.Context, h TopicHandler, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("panic handling the event: %v\n%s", p, debug.Stack()))
		}
	}()
	return h(ctx, ev)
}

// handleBinding calls h, turning a panic into an error (the binding fires again).
func handleBinding(ctx context.Context, h BindingHandler, data []byte, md map[string]string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic handling the binding event: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, data, md)
}

// HealthCheck implements AppCallbackHealthCheck.
func (a *App) HealthCheck(ctx context.Context, _ *emptypb.Empty) (*runtimev1.HealthCheckResponse, error) {
	if a.healthy != nil {
		if err := a.healthy(ctx); err != nil {
			a.log.Warn().Err(err).Msg("reporting unhealthy to Dapr")
			return nil, status.Error(codes.Unavailable, fmt.Sprintf("unhealthy: %v", err))
		}
	}
	return &runtimev1.HealthCheckResponse{}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Decode reads the event's data (protojson, as every Taskmesh event is published) into
// msg. Data that does not decode is poison: the error is Permanent.
func Decode(ev Event, msg proto.Message) error {
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(ev.Data, msg); err != nil {
		return Permanent(fmt.Errorf("decode %s event %s: %w", ev.Topic, ev.ID, err))
	}
	return nil
}
