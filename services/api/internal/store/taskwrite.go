package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// taskWrite is what a change does to a task's tags and reminders; nil does nothing.
type taskWrite struct {
	tags      []uuid.UUID
	setTags   bool
	reminders []taskrules.Reminder
	setRems   bool
}

// apply replaces the tags and reminders of an existing task as w says.
func (w *taskWrite) apply(ctx context.Context, q *apidb.Queries, taskID, userID uuid.UUID) error {
	if w == nil {
		return nil
	}
	if w.setTags {
		if err := q.TaskTagsClear(ctx, taskID); err != nil {
			return fmt.Errorf("clear tags of task %s: %w", taskID, err)
		}
		if _, err := w.addTags(ctx, q, taskID); err != nil {
			return err
		}
	}
	if w.setRems {
		if err := q.RemindersClear(ctx, taskID); err != nil {
			return fmt.Errorf("clear reminders of task %s: %w", taskID, err)
		}
		if _, err := w.addReminders(ctx, q, taskID, userID); err != nil {
			return err
		}
	}
	return nil
}

// addTags tags the task with w's tags and returns their ids in the order a task lists
// them (by tag name); nil when there are none.
func (w *taskWrite) addTags(ctx context.Context, q *apidb.Queries, taskID uuid.UUID) ([]string, error) {
	if len(w.tags) == 0 {
		return nil, nil
	}
	ids, err := q.TaskTagsAdd(ctx, apidb.TaskTagsAddParams{TaskID: taskID, TagIds: w.tags})
	if err != nil {
		return nil, fmt.Errorf("tag task %s: %w", taskID, err)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, nil
}

// addReminders stores w's reminders for the task (new ones get a fresh id) and returns
// them as stored, in position order; nil when there are none.
func (w *taskWrite) addReminders(ctx context.Context, q *apidb.Queries, taskID, userID uuid.UUID) ([]*taskv1.Reminder, error) {
	var out []*taskv1.Reminder
	for _, r := range w.reminders {
		id := r.ID
		if id == uuid.Nil {
			id = uuid.Must(uuid.NewV7())
		}
		row, err := q.ReminderInsert(ctx, apidb.ReminderInsertParams{
			ID: id, TaskID: taskID, UserID: userID, Position: r.Position, At: r.At,
			BeforeDueSeconds: r.BeforeDueSeconds, RemindAt: r.RemindAt, FiredAt: r.FiredAt,
		})
		if err != nil {
			return nil, fmt.Errorf("store reminder of task %s: %w", taskID, err)
		}
		out = append(out, reminderToProto(row))
	}
	return out, nil
}

// prepareWrite asks taskrules about the complete desired task t (its input fields),
// writes the answer into row's columns, checks that the user owns the tags, and returns
// what to do with its tags and reminders. changed says which fields the request touched;
// before is the task as stored (nil on create). A repeating task without a series starts
// one (as its first occurrence).
func prepareWrite(ctx context.Context, q *apidb.Queries, row *apidb.Task, t *taskv1.Task, loc *time.Location, before *taskv1.Task, changed taskrules.Fields) (*taskWrite, error) {
	plan, err := taskrules.PlanTask(t, loc)
	if err != nil {
		return nil, err
	}
	row.Title, row.Description, row.Priority = plan.Title, plan.Description, int16(plan.Priority)
	row.DueAt, row.DueDate = plan.DueAt, dateOf(plan.DueDate)
	row.Recurrence = nil
	if plan.Recurrence != nil {
		if row.Recurrence, err = protojson.Marshal(plan.Recurrence); err != nil {
			return nil, fmt.Errorf("encode recurrence: %w", err)
		}
		if row.SeriesID == nil {
			series, one := uuid.Must(uuid.NewV7()), int32(1)
			row.SeriesID, row.OccurrenceIndex = &series, &one
		}
	}

	w := &taskWrite{}
	if changed&taskrules.Tags != 0 {
		if len(plan.TagIDs) > 0 { // no tags: nothing to own, no query
			owned, err := q.TagCountOwned(ctx, apidb.TagCountOwnedParams{UserID: row.UserID, Ids: plan.TagIDs})
			if err != nil {
				return nil, fmt.Errorf("check tags: %w", err)
			}
			if err := taskrules.RequireOwnedTags(plan.TagIDs, owned); err != nil {
				return nil, err
			}
		}
		w.tags, w.setTags = plan.TagIDs, true
	}
	if changed&(taskrules.Reminders|taskrules.Due) != 0 {
		if w.reminders, err = taskrules.PlanReminders(t, plan, loc, before); err != nil {
			return nil, err
		}
		w.setRems = true
	}
	return w, nil
}

// insertTask inserts the new task row (its change sequence seq) with w's tags and
// reminders and returns the task built from the rows written: no read-back.
func insertTask(ctx context.Context, q *apidb.Queries, row apidb.Task, w *taskWrite, seq int64) (*taskv1.Task, error) {
	written, err := q.TaskInsert(ctx, apidb.TaskInsertParams{
		ID: row.ID, UserID: row.UserID, Title: row.Title, Description: row.Description,
		Status: row.Status, Priority: row.Priority, DueAt: row.DueAt, DueDate: row.DueDate,
		Recurrence: row.Recurrence, SeriesID: row.SeriesID, OccurrenceIndex: row.OccurrenceIndex, ChangeSeq: seq,
	})
	if err != nil {
		return nil, fmt.Errorf("insert task: %w", err)
	}
	out, err := taskToProto(written)
	if err != nil {
		return nil, err
	}
	if w.setTags {
		if out.TagIds, err = w.addTags(ctx, q, row.ID); err != nil {
			return nil, err
		}
	}
	if w.setRems {
		if out.Reminders, err = w.addReminders(ctx, q, row.ID, row.UserID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
