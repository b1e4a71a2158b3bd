// Package consumertest is the shared harness of the event consumers' tests: a publisher
// that records what would reach the broker (dead letters), a delivery through the
// AppCallback service exactly as daprd makes it, concurrent redeliveries, and a database
// that is down. The consumers themselves run for real, on a real database.
//
// It is imported only by tests (_test.go files); production code must not depend on it.
package consumertest

import (
	"context"
	"sync"
	"testing"

	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	dapr "github.com/dapr/go-sdk/client"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/taskmesh/taskmesh/pkg/daprapp"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
)

// Publisher stands in for the sidecar's publish API: it records the topic of every
// event published through it. It is safe for concurrent use; the zero value is ready.
type Publisher struct {
	mu   sync.Mutex
	sent []string
}

var _ daprapp.Publisher = (*Publisher)(nil)

// PublishEvent records topic and succeeds.
func (p *Publisher) PublishEvent(_ context.Context, _, topic string, _ any, _ ...dapr.PublishEventOption) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, topic)
	return nil
}

// Topics returns the topics published to so far, in order.
func (p *Publisher) Topics() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sent...)
}

// Status is how an app answers daprd for one event.
type Status = runtimev1.TopicEventResponse_TopicEventResponseStatus

// The answers that matter: acknowledged (recorded, a duplicate, or dead-lettered), or to
// be delivered again.
const (
	Success = runtimev1.TopicEventResponse_SUCCESS
	Retry   = runtimev1.TopicEventResponse_RETRY
)

// Deliver hands app an event of topic with id and JSON data through its AppCallback
// service, as daprd does, and returns app's answer. It fails the test if the call itself
// fails: an app answers with a status, never an error.
func Deliver(tb testing.TB, app *daprapp.App, topic, id string, data []byte) Status {
	tb.Helper()
	resp, err := app.OnTopicEvent(context.Background(), &runtimev1.TopicEventRequest{
		Id: id, PubsubName: meshnames.PubSub, Topic: topic, DataContentType: "application/json", Data: data,
	})
	if err != nil {
		tb.Fatalf("OnTopicEvent(%s, %s): %v", topic, id, err)
	}
	return resp.GetStatus()
}

// Redeliver calls deliver n times at once, as two replicas or Dapr retrying a slow
// acknowledgement would, and fails the test unless every call succeeds: the deliveries
// race on the consumer's unique constraint, and every one must be acknowledged.
func Redeliver(tb testing.TB, n int, deliver func() error) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- deliver() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatalf("concurrent delivery: %v", err)
		}
	}
}

// DownPool returns a pool on schema of databaseURL that is already closed, so that every
// query through it fails as when the database is down.
func DownPool(tb testing.TB, databaseURL, schema string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgschema.Pool(context.Background(), databaseURL, schema)
	if err != nil {
		tb.Fatal(err)
	}
	pool.Close()
	return pool
}

// Event is an event of topic with id and JSON data, as daprapp hands it to a consumer's
// handler.
func Event(topic, id string, data []byte) daprapp.Event {
	return daprapp.Event{ID: id, PubSub: meshnames.PubSub, Topic: topic, ContentType: "application/json", Data: data}
}

// JSON is msg as Dapr carries it to the consumers (protojson). It fails the test if msg
// does not marshal.
func JSON(tb testing.TB, msg proto.Message) []byte {
	tb.Helper()
	data, err := protojson.Marshal(msg)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
