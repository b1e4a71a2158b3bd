package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
)

// field is a set of the task fields a client can write.
type field uint8

const (
	fieldTitle field = 1 << iota
	fieldDescription
	fieldPriority
	fieldTags
	fieldDue
	fieldReminders
	fieldRecurrence

	fieldsAll = fieldTitle | fieldDescription | fieldPriority | fieldTags | fieldDue | fieldReminders | fieldRecurrence
)

// UpdatableFields are the update_mask paths UpdateTask accepts.
var UpdatableFields = map[string]field{
	"title": fieldTitle, "description": fieldDescription, "priority": fieldPriority,
	"tag_ids": fieldTags, "due": fieldDue, "reminders": fieldReminders, "recurrence": fieldRecurrence,
}

func fieldsFromPaths(paths []string) field {
	var f field
	for _, p := range paths {
		f |= UpdatableFields[p]
	}
	return f
}

// mergeMasked copies the fields of mask from src into dst.
func mergeMasked(dst, src *taskv1.Task, mask field) {
	if mask&fieldTitle != 0 {
		dst.Title = src.GetTitle()
	}
	if mask&fieldDescription != 0 {
		dst.Description = src.GetDescription()
	}
	if mask&fieldPriority != 0 {
		dst.Priority = src.GetPriority()
	}
	if mask&fieldTags != 0 {
		dst.TagIds = src.GetTagIds()
	}
	if mask&fieldDue != 0 {
		dst.Due = src.GetDue()
	}
	if mask&fieldReminders != 0 {
		dst.Reminders = src.GetReminders()
	}
	if mask&fieldRecurrence != 0 {
		dst.Recurrence = src.GetRecurrence()
	}
}

// taskWrite is what a change does to a task's tags and reminders; nil does nothing.
type taskWrite struct {
	tags      []uuid.UUID
	setTags   bool
	reminders []apidb.Reminder
	setRems   bool
}

func (w *taskWrite) apply(ctx context.Context, q *apidb.Queries, taskID, userID uuid.UUID) error {
	if w == nil {
		return nil
	}
	if w.setTags {
		if err := q.TaskTagsClear(ctx, taskID); err != nil {
			return fmt.Errorf("clear tags of task %s: %w", taskID, err)
		}
		if len(w.tags) > 0 {
			if err := q.TaskTagsAdd(ctx, apidb.TaskTagsAddParams{TaskID: taskID, TagIds: w.tags}); err != nil {
				return fmt.Errorf("tag task %s: %w", taskID, err)
			}
		}
	}
	if w.setRems {
		if err := q.RemindersClear(ctx, taskID); err != nil {
			return fmt.Errorf("clear reminders of task %s: %w", taskID, err)
		}
		for _, r := range w.reminders {
			err := q.ReminderInsert(ctx, apidb.ReminderInsertParams{
				ID: r.ID, TaskID: taskID, UserID: userID, Position: r.Position, At: r.At,
				BeforeDueSeconds: r.BeforeDueSeconds, RemindAt: r.RemindAt, FiredAt: r.FiredAt,
			})
			if err != nil {
				return fmt.Errorf("store reminder of task %s: %w", taskID, err)
			}
		}
	}
	return nil
}

// prepareWrite checks the complete desired task t (its input fields), writes its columns
// into row, and returns what to do with its tags and reminders. changed says which fields
// the request touched; before is the task as stored (nil on create).
func (s *Store) prepareWrite(ctx context.Context, q *apidb.Queries, row *apidb.Task, t *taskv1.Task, loc *time.Location, before *taskv1.Task, changed field) (*taskWrite, error) {
	if err := ValidateTask(t); err != nil {
		return nil, err
	}
	row.Title = strings.TrimSpace(t.GetTitle())
	if row.Title == "" { // protovalidate's pattern covers this; keep the store safe anyway
		return nil, apierr.Invalid("task.title", "title.not_blank", "title must not be blank")
	}
	row.Description = t.GetDescription()
	row.Priority = int16(t.GetPriority())

	dueAt, dueDate, err := resolveDue(t.GetDue(), loc)
	if err != nil {
		return nil, err
	}
	row.DueAt, row.DueDate = dueAt, dueDate

	if rule := t.GetRecurrence(); rule != nil {
		if t.GetDue() == nil {
			return nil, apierr.Invalid("task.recurrence", "recurrence.needs_due", "a repeating task needs a due date")
		}
		if _, err := recurrence.FromProto(rule); err != nil {
			return nil, RuleError("task.recurrence", err)
		}
		if row.Recurrence, err = protojson.Marshal(rule); err != nil {
			return nil, fmt.Errorf("encode recurrence: %w", err)
		}
		if row.SeriesID == nil && before != nil { // a one-off task starts repeating
			series, one := uuid.Must(uuid.NewV7()), int32(1)
			row.SeriesID, row.OccurrenceIndex = &series, &one
		}
	} else {
		row.Recurrence = nil
	}

	w := &taskWrite{}
	if changed&fieldTags != 0 {
		ids := make([]uuid.UUID, len(t.GetTagIds()))
		for i, s := range t.GetTagIds() {
			ids[i] = uuid.MustParse(s) // protovalidate checked the uuid format
		}
		owned, err := q.TagCountOwned(ctx, apidb.TagCountOwnedParams{UserID: row.UserID, Ids: ids})
		if err != nil {
			return nil, fmt.Errorf("check tags: %w", err)
		}
		if int(owned) != len(ids) {
			return nil, apierr.NotFound("tag")
		}
		w.tags, w.setTags = ids, true
	}
	if changed&(fieldReminders|fieldDue) != 0 {
		if w.reminders, err = planReminders(t, dueAt, dueDate, loc, before); err != nil {
			return nil, err
		}
		w.setRems = true
	}
	return w, nil
}

// RuleError turns a recurrence rule error into InvalidArgument naming the rule's field
// under prefix.
func RuleError(prefix string, err error) error {
	var fe *recurrence.FieldError
	if errors.As(err, &fe) {
		return apierr.Invalid(prefix+"."+fe.Field, "recurrence.valid", fe.Message)
	}
	return apierr.Invalid(prefix, "recurrence.valid", err.Error())
}

// ValidateTask checks t against the rules of the Task message (protovalidate); violations
// name their fields "task.<field>".
func ValidateTask(t *taskv1.Task) error {
	err := protovalidate.Validate(t)
	if err == nil {
		return nil
	}
	verr, ok := err.(*protovalidate.ValidationError)
	if !ok {
		return fmt.Errorf("validate task: %w", err)
	}
	first := verr.Violations[0].Proto
	path := "task." + protovalidate.FieldPathString(first.GetField())
	return apierr.Invalid(path, first.GetRuleId(), first.GetMessage())
}

// resolveDue turns a Due into the deadline moment and, for all-day tasks, the date. An
// all-day task's deadline is the end of its day in loc.
func resolveDue(due *taskv1.Due, loc *time.Location) (*time.Time, pgtype.Date, error) {
	switch k := due.GetKind().(type) {
	case *taskv1.Due_At:
		at := k.At.AsTime().Truncate(time.Microsecond)
		return &at, pgtype.Date{}, nil
	case *taskv1.Due_Date:
		d := k.Date
		day := time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, loc)
		if day.Year() != int(d.Year) || day.Month() != time.Month(d.Month) || day.Day() != int(d.Day) {
			return nil, pgtype.Date{}, apierr.Invalid("task.due.date", "date.valid", fmt.Sprintf("%04d-%02d-%02d is not a date", d.Year, d.Month, d.Day))
		}
		end := time.Date(int(d.Year), time.Month(d.Month), int(d.Day)+1, 0, 0, 0, 0, loc)
		return &end, dateOf(d), nil
	}
	return nil, pgtype.Date{}, nil
}

// planReminders computes the reminder rows of t. A reminder keeps its id and fired state
// when it is unchanged (same id in before, same moment); otherwise it is new and unfired.
func planReminders(t *taskv1.Task, dueAt *time.Time, dueDate pgtype.Date, loc *time.Location, before *taskv1.Task) ([]apidb.Reminder, error) {
	old := map[string]*taskv1.Reminder{}
	for _, r := range before.GetReminders() {
		old[r.GetId()] = r
	}
	out := make([]apidb.Reminder, 0, len(t.GetReminders()))
	for i, r := range t.GetReminders() {
		field := "task.reminders[" + strconv.Itoa(i) + "]"
		row := apidb.Reminder{ID: uuid.Must(uuid.NewV7()), Position: int16(i)}
		switch w := r.GetWhen().(type) {
		case *taskv1.Reminder_At:
			at := w.At.AsTime().Truncate(time.Microsecond)
			if dueAt != nil && at.After(*dueAt) {
				return nil, apierr.Invalid(field+".at", "reminder.after_due", "a reminder cannot be after the due time")
			}
			row.At, row.RemindAt = &at, at
		case *taskv1.Reminder_BeforeDue:
			if dueAt == nil {
				return nil, apierr.Invalid(field+".before_due", "reminder.needs_due", "a reminder before the due time needs a due time")
			}
			secs := int64(w.BeforeDue.AsDuration() / time.Second)
			anchor := *dueAt
			if dueDate.Valid {
				y, m, d := dueDate.Time.Date()
				anchor = time.Date(y, m, d, AllDayReminderHour, 0, 0, 0, loc)
			}
			row.BeforeDueSeconds, row.RemindAt = &secs, anchor.Add(-time.Duration(secs)*time.Second)
		default:
			return nil, apierr.Invalid(field, "reminder.when", "a reminder needs a time or an offset before the due time")
		}
		if timestamppb.New(row.RemindAt).CheckValid() != nil {
			return nil, apierr.Invalid(field, "reminder.range", "the reminder would fall outside years 1 to 9999")
		}
		if prev, ok := old[r.GetId()]; ok && prev.GetRemindAt().AsTime().Equal(row.RemindAt) && proto.Equal(userChoice(prev), userChoice(r)) {
			row.ID = uuid.MustParse(prev.GetId())
			if prev.GetFiredAt() != nil {
				fired := prev.GetFiredAt().AsTime()
				row.FiredAt = &fired
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// userChoice strips a reminder down to what the user chose, for comparison.
func userChoice(r *taskv1.Reminder) *taskv1.Reminder {
	return &taskv1.Reminder{When: r.GetWhen()}
}
