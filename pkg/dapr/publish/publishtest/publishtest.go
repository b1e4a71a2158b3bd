// Package publishtest records what code under test publishes, in place of the sidecar
// (for unit tests of the code in front of it; integration tests use a real daprd).
package publishtest

import (
	"context"
	"sync"

	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
)

// Recorder is a publish.Publisher that records every message; safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	sent []publish.Message
}

var _ publish.Publisher = (*Recorder)(nil)

// Publish implements publish.Publisher: it records m and succeeds.
func (r *Recorder) Publish(_ context.Context, m publish.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

// Messages returns the messages published so far, in order.
func (r *Recorder) Messages() []publish.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]publish.Message(nil), r.sent...)
}

// Topics returns the topic of each message published so far, in order.
func (r *Recorder) Topics() []string {
	var topics []string
	for _, m := range r.Messages() {
		topics = append(topics, m.Topic)
	}
	return topics
}
