package appcallback_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	runtimev1 "github.com/dapr/dapr/pkg/proto/runtime/v1"
	"github.com/rs/zerolog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, publish.Message) error {
	return errors.New("broker down")
}

// TestDeliverAnswersAsTheContractSays: handled events are acknowledged, transient
// failures retried, poison (and events for a topic nobody handles, such as a stray event
// reaching the web gateway, or one whose handler panics) moved to the dead-letter topic with their id, data and reason,
// and retried when even that publish fails.
func TestDeliverAnswersAsTheContractSays(t *testing.T) {
	rec := &publishtest.Recorder{}
	app := appcallback.New(zerolog.Nop(), rec, nil)
	app.HandleTopic(meshnames.PubSub, "ok", func(context.Context, appcallback.Event) error { return nil })
	app.HandleTopic(meshnames.PubSub, "flaky", func(context.Context, appcallback.Event) error { return errors.New("db down") })
	app.HandleTopic(meshnames.PubSub, "poison", func(context.Context, appcallback.Event) error {
		return appcallback.Permanent(errors.New("cannot decode"))
	})
	app.HandleTopic(meshnames.PubSub, "panics", func(context.Context, appcallback.Event) error {
		var m map[string]int
		m["boom"]++
		return nil
	})
	ev := func(topic string) appcallback.Event {
		return appcallback.Event{ID: "ev-" + topic, PubSub: meshnames.PubSub, Topic: topic, Data: []byte(`{"x":1}`)}
	}
	for _, tc := range []struct {
		topic      string
		want       appcallback.Outcome
		deadLetter string // reason expected on the dead letter, "" for none
	}{
		{"ok", appcallback.Success, ""},
		{"flaky", appcallback.Retry, ""},
		{"poison", appcallback.Success, "cannot decode"},
		{"nobody-handles-this", appcallback.Success, "no handler for this topic"},
		// A panicking handler does not take the service down: the event is poison.
		{"panics", appcallback.Success, "panic handling the event: assignment to entry in nil map"},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			before := len(rec.Messages())
			if got := app.Deliver(context.Background(), ev(tc.topic)); got != tc.want {
				t.Fatalf("Deliver = %v; want %v", got, tc.want)
			}
			sent := rec.Messages()[before:]
			if tc.deadLetter == "" {
				if len(sent) != 0 {
					t.Fatalf("dead-lettered %v; want nothing", sent)
				}
				return
			}
			if len(sent) != 1 {
				t.Fatalf("%d messages published; want one dead letter", len(sent))
			}
			m := sent[0]
			if m.PubSub != meshnames.PubSub || m.Topic != meshnames.DeadLetter(tc.topic) || m.ID != "ev-"+tc.topic ||
				m.Type != appcallback.DeadLetterType || string(m.Data) != `{"x":1}` || !strings.HasPrefix(m.Metadata["reason"], tc.deadLetter) {
				t.Fatalf("dead letter %+v; want the event on %s with reason %q", m, meshnames.DeadLetter(tc.topic), tc.deadLetter)
			}
			if publish.ContentType(m) != "application/json" {
				t.Fatalf("dead letter content type %q", publish.ContentType(m))
			}
		})
	}

	down := appcallback.New(zerolog.Nop(), failingPublisher{}, nil)
	if got := down.Deliver(context.Background(), ev("unhandled")); got != appcallback.Retry {
		t.Fatalf("poison with the broker down = %v; want Retry (never dropped)", got)
	}
}

// TestABindingPanicFailsTheEventOnly: a panicking binding handler fails that one event
// (Dapr reports it; a cron binding fires again), and the next one is handled.
func TestABindingPanicFailsTheEventOnly(t *testing.T) {
	app := appcallback.New(zerolog.Nop(), &publishtest.Recorder{}, nil)
	calls := 0
	app.HandleBinding("tick", func(context.Context, []byte, map[string]string) error {
		calls++
		if calls == 1 {
			panic("first tick")
		}
		return nil
	})
	_, err := app.OnBindingEvent(context.Background(), &runtimev1.BindingEventRequest{Name: "tick"})
	if status.Code(err) != codes.Internal {
		t.Fatalf("panicking binding: %v; want Internal", err)
	}
	if _, err := app.OnBindingEvent(context.Background(), &runtimev1.BindingEventRequest{Name: "tick"}); err != nil {
		t.Fatalf("next tick: %v", err)
	}
}
