package handler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/services/notification/internal/store"
)

// lookupTimeout bounds the call to the api, so that a stuck call turns into a retry
// instead of holding the delivery (Dapr's resiliency policy has its own, shorter, one).
const lookupTimeout = 10 * time.Second

// Consumer turns the ReminderEvents of topic reminders into notifications, once per
// event_id however often it is delivered, for tasks that are still pending.
type Consumer struct {
	store *store.Store
	tasks Tasks
}

// NewConsumer returns a Consumer writing to st and asking tasks whether a reminder's task
// is still pending.
func NewConsumer(st *store.Store, tasks Tasks) *Consumer {
	return &Consumer{store: st, tasks: tasks}
}

// Register routes the reminders topic of the mesh's pub/sub component to c.
func (c *Consumer) Register(app *appcallback.App) {
	app.HandleTopic(meshnames.PubSub, meshnames.Reminders, c.HandleReminder)
}

// HandleReminder is the appcallback.TopicHandler of reminders. For an event not handled
// before, it asks the api for the task: when the task is still pending, it stores a
// notification and announces it on task-updates (through the outbox, in one
// transaction); when the task is gone, deleted or completed, it only records the event
// as handled. It returns nil once the event is handled (or was already), a
// appcallback.Permanent error for an event that can never be handled (undecodable, or
// missing its ids or times), and any other error when the api or the database failed for
// a reason that may pass (Dapr delivers the event again).
func (c *Consumer) HandleReminder(ctx context.Context, ev appcallback.Event) error {
	re := &eventsv1.ReminderEvent{}
	if err := appcallback.Decode(ev, re); err != nil {
		return err
	}
	r, err := reminderOf(re)
	if err != nil {
		return appcallback.Permanent(fmt.Errorf("reminder event %q: %w", re.GetEventId(), err))
	}
	log := zerolog.Ctx(ctx)
	done, err := c.store.Processed(ctx, r.EventID)
	if err != nil {
		return err
	}
	if done {
		log.Debug().Msg("reminder event already handled: redelivery ignored")
		return nil
	}

	lookupCtx, cancel := context.WithTimeout(ctx, lookupTimeout)
	task, err := c.tasks.TaskForUser(lookupCtx, r.UserID, r.TaskID)
	cancel()
	var skip store.Outcome
	switch {
	case errors.Is(err, ErrTaskNotFound):
		skip = store.TaskNotFound
	case err != nil:
		return fmt.Errorf("reminder event %s: check its task: %w", r.EventID, err)
	case task.GetDeletedAt() != nil:
		skip = store.TaskDeleted
	case task.GetStatus() != taskv1.TaskStatus_TASK_STATUS_PENDING:
		skip = store.TaskNotPending
	}
	if skip != "" {
		if _, err := c.store.Skip(ctx, r.EventID, skip); err != nil {
			return err
		}
		log.Info().Str("task_id", r.TaskID.String()).Str("outcome", string(skip)).Msg("reminder skipped: its task is not pending")
		return nil
	}

	n, err := c.store.Notify(ctx, r)
	if errors.Is(err, store.ErrUnrecordable) {
		return appcallback.Permanent(err)
	}
	if err != nil {
		return err
	}
	if n == nil {
		log.Debug().Msg("reminder event handled meanwhile by another delivery")
		return nil
	}
	log.Info().Str("notification_id", n.GetId()).Str("task_id", r.TaskID.String()).Msg("notification stored")
	return nil
}

// reminderOf checks that re carries what a notification needs.
func reminderOf(re *eventsv1.ReminderEvent) (store.Reminder, error) {
	var r store.Reminder
	for _, id := range []struct {
		name string
		raw  string
		dst  *uuid.UUID
	}{
		{"event_id", re.GetEventId(), &r.EventID},
		{"user_id", re.GetUserId(), &r.UserID},
		{"task_id", re.GetTaskId(), &r.TaskID},
		{"reminder_id", re.GetReminderId(), &r.ReminderID},
	} {
		v, err := uuid.Parse(id.raw)
		if err != nil {
			return r, fmt.Errorf("%s is not a UUID", id.name)
		}
		*id.dst = v
	}
	if strings.ContainsRune(re.GetTitle(), 0) {
		return r, errors.New("title contains U+0000")
	}
	if err := re.GetRemindAt().CheckValid(); err != nil {
		return r, fmt.Errorf("remind_at: %w", err)
	}
	if due := re.GetDue(); due != nil {
		if err := protovalidate.Validate(due); err != nil {
			return r, fmt.Errorf("due: %w", err)
		}
	}
	r.Title, r.Due, r.RemindAt = re.GetTitle(), re.GetDue(), re.GetRemindAt().AsTime()
	return r, nil
}
