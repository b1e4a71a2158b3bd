// Package consumer is the recurring service's work: when an occurrence of a recurring
// series is completed, it computes the next occurrence (pkg/recurrence, in the owner's
// time zone, from the series' first due and its anchor) and asks the api to create it.
//
// Idempotency has two layers: a ledger of handled event ids (a redelivered event does
// nothing), and the api's SpawnOccurrence, which creates one task per (series, index)
// whatever the races (a reopen-and-complete-again, two replicas, a crash between the spawn
// and the ledger write).
package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/gen/sqlc/recurringdb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	internalv1 "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
)

// Schema is the PostgreSQL schema the recurring service owns.
const Schema = "recurring"

// Tasks is the part of the api's TaskInternalService the consumer calls (the generated
// client is one).
type Tasks interface {
	GetSeries(context.Context, *connect.Request[internalv1.GetSeriesRequest]) (*connect.Response[internalv1.GetSeriesResponse], error)
	SpawnOccurrence(context.Context, *connect.Request[internalv1.SpawnOccurrenceRequest]) (*connect.Response[internalv1.SpawnOccurrenceResponse], error)
}

// Consumer handles task-events.
type Consumer struct {
	q     *recurringdb.Queries
	tasks Tasks
}

// New returns a Consumer recording its ledger in pool (search_path on Schema).
func New(pool *pgxpool.Pool, tasks Tasks) *Consumer {
	return &Consumer{q: recurringdb.New(pool), tasks: tasks}
}

// Register subscribes the consumer to task-events on app.
func (c *Consumer) Register(app *appcallback.App) {
	app.HandleTopic(meshnames.PubSub, meshnames.TaskEvents, c.HandleTaskEvent)
}

// HandleTaskEvent spawns the next occurrence for a completed occurrence of a series. It
// returns a appcallback.Permanent error for an event it can never handle, and a plain error
// (retry) when the api or the database is unavailable.
func (c *Consumer) HandleTaskEvent(ctx context.Context, ev appcallback.Event) error {
	var te eventsv1.TaskEvent
	if err := appcallback.Decode(ev, &te); err != nil {
		return err
	}
	task := te.GetTask()
	if te.GetType() != eventsv1.TaskEventType_TASK_EVENT_TYPE_COMPLETED || task.GetRecurrence() == nil || task.GetSeriesId() == "" {
		return nil // not the completion of a recurring occurrence
	}
	eventID, err := uuid.Parse(te.GetEventId())
	if err != nil {
		return appcallback.Permanent(fmt.Errorf("event id %q: %w", te.GetEventId(), err))
	}
	done, err := c.q.ProcessedEventExists(ctx, eventID)
	if err != nil {
		return fmt.Errorf("check the ledger for %s: %w", eventID, err)
	}
	if done {
		return nil
	}
	outcome, err := c.spawnNext(ctx, &te)
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Str("task_id", task.GetId()).Str("series_id", task.GetSeriesId()).Msg(outcome)
	if err := c.q.ProcessedEventRecord(ctx, recurringdb.ProcessedEventRecordParams{EventID: eventID, Outcome: outcome}); err != nil {
		return fmt.Errorf("record %s in the ledger: %w", eventID, err)
	}
	return nil
}

// ForgetProcessed forgets the events handled before before and returns how many.
func (c *Consumer) ForgetProcessed(ctx context.Context, before time.Time) (int64, error) {
	n, err := c.q.ProcessedEventPurge(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("purge the event ledger: %w", err)
	}
	return n, nil
}

// spawnNext computes and requests the next occurrence; it returns what it did.
func (c *Consumer) spawnNext(ctx context.Context, te *eventsv1.TaskEvent) (string, error) {
	task := te.GetTask()
	rule, err := recurrence.FromProto(task.GetRecurrence())
	if err != nil {
		return "", appcallback.Permanent(fmt.Errorf("task %s has an invalid rule: %w", task.GetId(), err))
	}
	current, err := recurrence.FromProtoDue(task.GetDue())
	if err != nil {
		return "", appcallback.Permanent(fmt.Errorf("task %s has no valid due: %w", task.GetId(), err))
	}
	if task.GetCompletedAt() == nil {
		return "", appcallback.Permanent(fmt.Errorf("completed task %s has no completed_at", task.GetId()))
	}
	series, err := c.tasks.GetSeries(ctx, connect.NewRequest(&internalv1.GetSeriesRequest{UserId: te.GetUserId(), SeriesId: task.GetSeriesId()}))
	if err != nil {
		return classify(err, "get series")
	}
	loc, err := time.LoadLocation(series.Msg.GetTimeZone())
	if err != nil {
		return "", appcallback.Permanent(fmt.Errorf("time zone %q: %w", series.Msg.GetTimeZone(), err))
	}
	start, err := recurrence.FromProtoDue(series.Msg.GetFirstDue())
	if err != nil {
		return "", appcallback.Permanent(fmt.Errorf("series %s has no valid first due: %w", task.GetSeriesId(), err))
	}
	next, ok, err := recurrence.Next(rule, start, current, int(task.GetOccurrenceIndex()), task.GetCompletedAt().AsTime(), loc)
	if err != nil {
		return "", appcallback.Permanent(fmt.Errorf("next occurrence of %s: %w", task.GetSeriesId(), err))
	}
	if !ok {
		return "series ended", nil
	}
	resp, err := c.tasks.SpawnOccurrence(ctx, connect.NewRequest(&internalv1.SpawnOccurrenceRequest{
		UserId: te.GetUserId(), SourceTaskId: task.GetId(), SeriesId: task.GetSeriesId(),
		OccurrenceIndex: task.GetOccurrenceIndex() + 1, Due: recurrence.ToProtoDue(next),
	}))
	if err != nil {
		return classify(err, "spawn the next occurrence")
	}
	if !resp.Msg.GetCreated() {
		return "next occurrence already existed: " + resp.Msg.GetTask().GetId(), nil
	}
	return "spawned " + resp.Msg.GetTask().GetId(), nil
}

// classify turns an api error into an outcome or a retry/poison decision: a series or
// task that no longer exists is skipped, a request the api rejects is poison, anything
// else (unavailable, deadline) is retried.
func classify(err error, what string) (string, error) {
	switch connect.CodeOf(err) {
	case connect.CodeNotFound:
		return "skipped: " + what + ": not found", nil
	case connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodePermissionDenied:
		return "", appcallback.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	var cerr *connect.Error
	if errors.As(err, &cerr) {
		return "", fmt.Errorf("%s: %w", what, cerr)
	}
	return "", fmt.Errorf("%s: %w", what, err)
}
