// Package consumertest is the shared harness of the event consumers' tests: a delivery
// through the app callbacks exactly as daprd makes it, concurrent redeliveries, and a database
// that is down. The consumers themselves run for real, on a real database.
//
// It is imported only by tests (_test.go files); production code must not depend on it.
package consumertest

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
)

// Deliver hands app an event of topic with id and JSON data, exactly as the AppCallback
// service does for an event from daprd, and returns what daprd would be told. Dead
// letters go to the publisher app was built with (publishtest.Recorder in tests).
func Deliver(tb testing.TB, app *appcallback.App, topic, id string, data []byte) appcallback.Outcome {
	tb.Helper()
	return app.Deliver(context.Background(), Event(topic, id, data))
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

// Event is an event of topic with id and JSON data, as appcallback hands it to a
// consumer's handler.
func Event(topic, id string, data []byte) appcallback.Event {
	return appcallback.Event{ID: id, PubSub: meshnames.PubSub, Topic: topic, ContentType: "application/json", Data: data}
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
