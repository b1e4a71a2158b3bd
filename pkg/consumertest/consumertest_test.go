package consumertest_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/consumertest"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

func TestDeliverAnswersAsTheAppDoes(t *testing.T) {
	pub := &publishtest.Recorder{}
	app := appcallback.New(zerolog.Nop(), pub, nil)
	var got []string
	app.HandleTopic(meshnames.PubSub, meshnames.TaskEvents, func(_ context.Context, ev appcallback.Event) error {
		got = append(got, ev.ID+":"+string(ev.Data))
		switch string(ev.Data) {
		case "poison":
			return appcallback.Permanent(errors.New("poison"))
		case "later":
			return errors.New("try again")
		}
		return nil
	})
	for _, tc := range []struct {
		data string
		want appcallback.Outcome
	}{
		{"good", appcallback.Success},
		{"later", appcallback.Retry},
		{"poison", appcallback.Success}, // once dead-lettered
	} {
		if status := consumertest.Deliver(t, app, meshnames.TaskEvents, "id-"+tc.data, []byte(tc.data)); status != tc.want {
			t.Fatalf("%s: %v; want %v", tc.data, status, tc.want)
		}
	}
	if want := []string{"id-good:good", "id-later:later", "id-poison:poison"}; !slices.Equal(got, want) {
		t.Fatalf("handler saw %v; want %v", got, want)
	}
	if topics, want := pub.Topics(), []string{meshnames.DeadLetter(meshnames.TaskEvents)}; !slices.Equal(topics, want) {
		t.Fatalf("published to %v; want %v", topics, want)
	}
}

func TestRedeliverCallsEveryTime(t *testing.T) {
	var calls atomic.Int32
	consumertest.Redeliver(t, 8, func() error { calls.Add(1); return nil })
	if calls.Load() != 8 {
		t.Fatalf("%d deliveries; want 8", calls.Load())
	}
}

func TestDownPoolFailsEveryQuery(t *testing.T) {
	pool := consumertest.DownPool(t, pgtest.ServerURL(), "public")
	if err := pool.Ping(context.Background()); err == nil {
		t.Fatal("Ping on a down pool succeeded")
	}
}
