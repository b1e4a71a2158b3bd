package consumer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/pgschema"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
	recurringsql "github.com/taskmesh/taskmesh/sql/recurring"
)

// fakeTasks stands in for the api's TaskInternalService (the real one is exercised by
// the end-to-end tests through Dapr).
type fakeTasks struct {
	mu                  sync.Mutex
	tz                  string
	firstDue            *taskv1.Due
	seriesErr, spawnErr error
	spawns              []*internalv1.SpawnOccurrenceRequest
}

func (f *fakeTasks) GetSeries(_ context.Context, req *connect.Request[internalv1.GetSeriesRequest]) (*connect.Response[internalv1.GetSeriesResponse], error) {
	if f.seriesErr != nil {
		return nil, f.seriesErr
	}
	return connect.NewResponse(&internalv1.GetSeriesResponse{TimeZone: f.tz, FirstDue: f.firstDue}), nil
}

func (f *fakeTasks) SpawnOccurrence(_ context.Context, req *connect.Request[internalv1.SpawnOccurrenceRequest]) (*connect.Response[internalv1.SpawnOccurrenceResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spawns = append(f.spawns, req.Msg)
	if f.spawnErr != nil {
		return nil, f.spawnErr
	}
	return connect.NewResponse(&internalv1.SpawnOccurrenceResponse{Task: &taskv1.Task{Id: uuid.NewString()}, Created: true}), nil
}

func newConsumer(t *testing.T, f *fakeTasks) *Consumer {
	c, _ := newConsumerOn(t, f)
	return c
}

// newConsumerOn is newConsumer that also returns its database's pool.
func newConsumerOn(t *testing.T, f *fakeTasks) (*Consumer, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.NewDatabase(t, func(ctx context.Context, url string) error {
		return pgschema.Migrate(ctx, url, Schema, recurringsql.Migrations, "migrations")
	})
	pool, err := pgschema.Pool(context.Background(), url, Schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return New(pool, f), pool
}

var paris, _ = time.LoadLocation("Europe/Paris")

func at(t time.Time) *taskv1.Due { return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(t)}} }

// completion is the TaskEvent of completing occurrence index of a series due at due.
func completion(rule *taskv1.RecurrenceRule, due *taskv1.Due, index int32, completedAt time.Time) appcallback.Event {
	te := &eventsv1.TaskEvent{
		EventId: uuid.NewString(), Type: eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED, UserId: uuid.NewString(),
		Task: &taskv1.Task{
			Id: uuid.NewString(), Title: "water plants", Status: taskv1.TaskStatus_TASK_STATUS_COMPLETED, Due: due,
			Recurrence: rule, SeriesId: uuid.NewString(), OccurrenceIndex: index, CompletedAt: timestamppb.New(completedAt),
		},
	}
	b, _ := protojson.Marshal(te)
	return appcallback.Event{ID: te.EventId, PubSub: meshnames.PubSub, Topic: meshnames.TaskEvents, Data: b}
}

func TestWeeklyCompletionSpawnsTheNextOccurrenceOnceIn09LocalTime(t *testing.T) {
	// Monday 2027-03-22 09:00 Paris (winter time); the next Monday is summer time.
	first := time.Date(2027, 3, 22, 9, 0, 0, 0, paris)
	f := &fakeTasks{tz: "Europe/Paris", firstDue: at(first)}
	c := newConsumer(t, f)
	weekly := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 1}
	ev := completion(weekly, at(first), 1, first.Add(time.Hour))
	for range 3 { // redeliveries do nothing more
		if err := c.HandleTaskEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.spawns) != 1 {
		t.Fatalf("%d spawns; want exactly 1 for one completion delivered 3 times", len(f.spawns))
	}
	s := f.spawns[0]
	if want := time.Date(2027, 3, 29, 9, 0, 0, 0, paris); !s.GetDue().GetAt().AsTime().Equal(want) {
		t.Fatalf("next due %v; want %v (09:00 Paris, summer time)", s.GetDue().GetAt().AsTime().In(paris), want)
	}
	if s.GetOccurrenceIndex() != 2 {
		t.Fatalf("next index %d; want 2", s.GetOccurrenceIndex())
	}
}

func TestCountLimitedSeriesStopsAtItsCount(t *testing.T) {
	first := time.Date(2027, 1, 4, 9, 0, 0, 0, paris)
	f := &fakeTasks{tz: "Europe/Paris", firstDue: at(first)}
	c := newConsumer(t, f)
	rule := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1, End: &taskv1.RecurrenceRule_Count{Count: 3}}
	for i := int32(1); i <= 3; i++ {
		due := first.AddDate(0, 0, int(i-1))
		if err := c.HandleTaskEvent(context.Background(), completion(rule, at(due), i, due)); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.spawns) != 2 || f.spawns[1].GetOccurrenceIndex() != 3 {
		t.Fatalf("spawns %v; want occurrences 2 and 3 only", f.spawns)
	}
}

func TestCompletionAnchorCountsFromTheCompletionDay(t *testing.T) {
	first := time.Date(2027, 5, 3, 18, 0, 0, 0, paris)
	f := &fakeTasks{tz: "Europe/Paris", firstDue: at(first)}
	c := newConsumer(t, f)
	rule := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 3, Anchor: taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_COMPLETION_DATE}
	completed := time.Date(2027, 5, 10, 7, 30, 0, 0, paris) // a week late
	if err := c.HandleTaskEvent(context.Background(), completion(rule, at(first), 1, completed)); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 5, 13, 18, 0, 0, 0, paris); len(f.spawns) != 1 || !f.spawns[0].GetDue().GetAt().AsTime().Equal(want) {
		t.Fatalf("spawns %v; want one due %v (3 days after completion, at the series' time)", f.spawns, want)
	}
}

func TestOtherEventsAreIgnored(t *testing.T) {
	f := &fakeTasks{tz: "UTC"}
	c := newConsumer(t, f)
	oneOff := completion(nil, at(time.Now()), 0, time.Now())
	var te eventsv1.TaskEvent
	_ = protojson.Unmarshal(oneOff.Data, &te)
	te.Task.SeriesId = ""
	oneOff.Data, _ = protojson.Marshal(&te)
	created := completion(&taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}, at(time.Now()), 1, time.Now())
	_ = protojson.Unmarshal(created.Data, &te)
	te.Type = eventsv1.TaskEventType_TASK_EVENT_TYPE_CREATED
	created.Data, _ = protojson.Marshal(&te)
	for _, ev := range []appcallback.Event{oneOff, created} {
		if err := c.HandleTaskEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.spawns) != 0 {
		t.Fatalf("%d spawns for events that are not completions of a series", len(f.spawns))
	}
}

func TestAPIErrorsAreRetriedSkippedOrPoison(t *testing.T) {
	rule := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	first := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name            string
		seriesErr       error
		spawnErr        error
		wantErr         bool
		wantPermanent   bool
		redeliverCalled bool // does a redelivery reach the api again?
	}{
		{"api unavailable: retry", connect.NewError(connect.CodeUnavailable, errors.New("down")), nil, true, false, true},
		{"series gone: skip", connect.NewError(connect.CodeNotFound, errors.New("gone")), nil, false, false, false},
		{"spawn rejected: poison", nil, connect.NewError(connect.CodeInvalidArgument, errors.New("bad")), true, true, true},
		{"spawn deadline: retry", nil, connect.NewError(connect.CodeDeadlineExceeded, errors.New("slow")), true, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTasks{tz: "UTC", firstDue: at(first), seriesErr: tc.seriesErr, spawnErr: tc.spawnErr}
			c := newConsumer(t, f)
			ev := completion(rule, at(first), 1, first)
			err := c.HandleTaskEvent(context.Background(), ev)
			if (err != nil) != tc.wantErr || appcallback.IsPermanent(err) != tc.wantPermanent {
				t.Fatalf("err = %v (permanent %v); want error %v, permanent %v", err, appcallback.IsPermanent(err), tc.wantErr, tc.wantPermanent)
			}
			f.seriesErr, f.spawnErr = nil, nil
			calls := len(f.spawns)
			if err := c.HandleTaskEvent(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			if called := len(f.spawns) > calls; called != tc.redeliverCalled {
				t.Fatalf("redelivery reached the api: %v; want %v", called, tc.redeliverCalled)
			}
		})
	}
	t.Run("undecodable data: poison", func(t *testing.T) {
		c := newConsumer(t, &fakeTasks{})
		err := c.HandleTaskEvent(context.Background(), appcallback.Event{ID: "x", Topic: meshnames.TaskEvents, Data: []byte("{not json")})
		if !appcallback.IsPermanent(err) {
			t.Fatalf("err = %v; want permanent", err)
		}
	})
}

func TestForgetProcessedForgetsOnlyOldEvents(t *testing.T) {
	first := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	f := &fakeTasks{tz: "UTC", firstDue: at(first)}
	c, pool := newConsumerOn(t, f)
	rule := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
	oldEv, recentEv := completion(rule, at(first), 1, first), completion(rule, at(first), 1, first)
	ctx := context.Background()
	for _, ev := range []appcallback.Event{oldEv, recentEv} {
		if err := c.HandleTaskEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE processed_events SET processed_at = '2000-01-01' WHERE event_id = $1`, oldEv.ID); err != nil {
		t.Fatal(err)
	}
	n, err := c.ForgetProcessed(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("ForgetProcessed = %d, %v; want 1", n, err)
	}
	// The forgotten event, delivered again, reaches the api again (which makes nothing new:
	// SpawnOccurrence is idempotent); the remembered one does not.
	calls := len(f.spawns)
	for _, ev := range []appcallback.Event{oldEv, recentEv} {
		if err := c.HandleTaskEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.spawns) - calls; got != 1 {
		t.Fatalf("%d calls to the api after the purge; want 1 (the forgotten event only)", got)
	}
}
