package handler

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/services/audit/internal/store"
)

// Consumer records every TaskEvent of topic task-events in the audit log, once per
// event_id however often it is delivered.
type Consumer struct {
	store *store.Store
}

// NewConsumer returns a Consumer writing to st.
func NewConsumer(st *store.Store) *Consumer { return &Consumer{store: st} }

// Register routes the task-events topic of the mesh's pub/sub component to c.
func (c *Consumer) Register(app *appcallback.App) {
	app.HandleTopic(meshnames.PubSub, meshnames.TaskEvents, c.HandleTaskEvent)
}

// HandleTaskEvent is the appcallback.TopicHandler of task-events. It returns nil once the
// event is recorded (or was already), a appcallback.Permanent error for an event that cannot
// ever be recorded (undecodable, or missing its event id, user, task, type or time), and
// any other error when recording failed for a reason that may pass (Dapr retries).
func (c *Consumer) HandleTaskEvent(ctx context.Context, ev appcallback.Event) error {
	te := &eventsv1.TaskEvent{}
	if err := appcallback.Decode(ev, te); err != nil {
		return err
	}
	entry, err := entryOf(te)
	if err != nil {
		return appcallback.Permanent(fmt.Errorf("task event %q: %w", te.GetEventId(), err))
	}
	recorded, err := c.store.Record(ctx, entry)
	if errors.Is(err, store.ErrUnrecordable) {
		return appcallback.Permanent(err)
	}
	if err != nil {
		return err
	}
	if !recorded {
		zerolog.Ctx(ctx).Debug().Msg("event already recorded: redelivery ignored")
	}
	return nil
}

// entryOf checks that te carries what an audit entry needs.
func entryOf(te *eventsv1.TaskEvent) (store.Entry, error) {
	eventID, err := uuid.Parse(te.GetEventId())
	if err != nil {
		return store.Entry{}, errors.New("event_id is not a UUID")
	}
	userID, err := uuid.Parse(te.GetUserId())
	if err != nil {
		return store.Entry{}, errors.New("user_id is not a UUID")
	}
	if te.GetTask() == nil {
		return store.Entry{}, errors.New("task is missing")
	}
	taskID, err := uuid.Parse(te.GetTask().GetId())
	if err != nil {
		return store.Entry{}, errors.New("task.id is not a UUID")
	}
	// Types newer than this build are recorded as they are; only "unspecified" (never
	// published) and values the smallint column cannot hold are refused.
	if t := te.GetType(); t <= eventsv1.TaskEventType_TASK_EVENT_TYPE_UNSPECIFIED || t > math.MaxInt16 {
		return store.Entry{}, fmt.Errorf("type %d is not a task event type", t)
	}
	if err := te.GetOccurredAt().CheckValid(); err != nil {
		return store.Entry{}, fmt.Errorf("occurred_at: %w", err)
	}
	return store.Entry{
		EventID: eventID, UserID: userID, TaskID: taskID, Type: te.GetType(),
		Before: te.GetPrevious(), After: te.GetTask(),
		OccurredAt: te.GetOccurredAt().AsTime(), ChangeSeq: te.GetChangeSeq(),
	}, nil
}
