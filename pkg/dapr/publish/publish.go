// Package publish is the app publishing to Dapr pub/sub through its own sidecar. Publisher
// is the one interface publishers are known by (the outbox relay, the dead-letter path of
// package appcallback); Sidecar implements it with the go-sdk client, and unit tests
// implement it with a recorder.
package publish

import (
	"context"
	"fmt"
	"maps"

	dapr "github.com/dapr/go-sdk/client"
)

// Message is one event to publish. Dapr wraps Data in a CloudEvent whose id is ID (when
// set) and whose type is Type (when set).
type Message struct {
	PubSub string // the Dapr pub/sub component
	Topic  string
	Data   []byte
	// ContentType of Data; "application/json" when empty.
	ContentType string
	ID          string            // CloudEvent id: the event id consumers deduplicate on
	Type        string            // CloudEvent type
	Metadata    map[string]string // further publish metadata (a dead letter's reason, say)
}

// Publisher publishes messages. Publish returns an error when the sidecar did not accept
// the message; the caller keeps it and tries again.
type Publisher interface {
	Publish(ctx context.Context, m Message) error
}

// Sidecar publishes through a go-sdk client connected to the app's own sidecar.
type Sidecar struct {
	Client dapr.Client
}

var _ Publisher = Sidecar{}

// Publish implements Publisher.
func (s Sidecar) Publish(ctx context.Context, m Message) error {
	if err := s.Client.PublishEvent(ctx, m.PubSub, m.Topic, m.Data,
		dapr.PublishEventWithContentType(ContentType(m)),
		dapr.PublishEventWithMetadata(Metadata(m))); err != nil {
		return fmt.Errorf("publish to %s/%s: %w", m.PubSub, m.Topic, err)
	}
	return nil
}

// ContentType is m's content type, "application/json" when it names none (every
// Taskmesh event is protojson).
func ContentType(m Message) string {
	if m.ContentType == "" {
		return "application/json"
	}
	return m.ContentType
}

// Metadata is the publish metadata Dapr receives for m: m.Metadata plus the CloudEvent
// overrides for ID and Type.
func Metadata(m Message) map[string]string {
	md := maps.Clone(m.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	if m.ID != "" {
		md["cloudevent.id"] = m.ID
	}
	if m.Type != "" {
		md["cloudevent.type"] = m.Type
	}
	return md
}
