// Package taskrules decides what a write does to a task, with no database and no clock
// of its own: which update_mask paths exist and how a mask merges into the stored task,
// whether a task is valid (protovalidate plus the rules a message cannot express), how
// its due resolves in the user's time zone, and which reminder rows it gets. The store
// asks these questions, persists the answers, and owns everything that needs a query
// (does the user own these tags?) or an id generator.
package taskrules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
)

// maxTitle is the longest title, in characters, as the Task message says.
const maxTitle = 500

// AllDayReminderHour is the local hour that reminders of an all-day task count back from.
const AllDayReminderHour = 9

// Fields is a set of the task fields a client can write.
type Fields uint8

// The fields a client can write; All is every one of them (a create writes All).
const (
	Title Fields = 1 << iota
	Description
	Priority
	Tags
	Due
	Reminders
	Recurrence

	All = Title | Description | Priority | Tags | Due | Reminders | Recurrence
)

// maskPaths are the update_mask paths UpdateTask accepts, in the order the error lists them.
var maskPaths = []struct {
	path  string
	field Fields
}{
	{"title", Title}, {"description", Description}, {"priority", Priority},
	{"tag_ids", Tags}, {"due", Due}, {"reminders", Reminders}, {"recurrence", Recurrence},
}

// ParseMask returns the fields named by the paths of an update_mask. An empty mask or a
// path that is not an updatable field answers InvalidArgument on "update_mask".
func ParseMask(paths []string) (Fields, error) {
	if len(paths) == 0 {
		return 0, apierr.Invalid("update_mask", "update_mask.required", "name the fields to change, e.g. title")
	}
	var f Fields
	for _, p := range paths {
		field, ok := fieldOf(p)
		if !ok {
			names := make([]string, len(maskPaths))
			for i, m := range maskPaths {
				names[i] = m.path
			}
			return 0, apierr.Invalid("update_mask", "update_mask.path", "cannot update "+quote(p)+": updatable fields are "+strings.Join(names, ", "))
		}
		f |= field
	}
	return f, nil
}

func fieldOf(path string) (Fields, bool) {
	for _, m := range maskPaths {
		if m.path == path {
			return m.field, true
		}
	}
	return 0, false
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// Merge returns a copy of before with the fields of mask taken from in; before and in
// are not changed.
func Merge(before, in *taskv1.Task, mask Fields) *taskv1.Task {
	dst := proto.CloneOf(before)
	if mask&Title != 0 {
		dst.Title = in.GetTitle()
	}
	if mask&Description != 0 {
		dst.Description = in.GetDescription()
	}
	if mask&Priority != 0 {
		dst.Priority = in.GetPriority()
	}
	if mask&Tags != 0 {
		dst.TagIds = in.GetTagIds()
	}
	if mask&Due != 0 {
		dst.Due = in.GetDue()
	}
	if mask&Reminders != 0 {
		dst.Reminders = in.GetReminders()
	}
	if mask&Recurrence != 0 {
		dst.Recurrence = in.GetRecurrence()
	}
	return dst
}

// Validate checks t against the rules of the Task message (protovalidate). It answers
// InvalidArgument listing every violation, each field named "task.<field>", in the
// message and in the violations detail.
func Validate(t *taskv1.Task) error {
	err := protovalidate.Validate(t)
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		if err != nil {
			return fmt.Errorf("validate task: %w", err)
		}
		return nil
	}
	out := &apierr.Error{Code: connect.CodeInvalidArgument, Violations: make([]*validate.Violation, 0, len(verr.Violations))}
	parts := make([]string, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		path := "task." + protovalidate.FieldPathString(v.Proto.GetField())
		out.Violations = append(out.Violations, apierr.Violation(path, v.Proto.GetRuleId(), v.Proto.GetMessage()))
		parts = append(parts, path+": "+v.Proto.GetMessage())
	}
	out.Message = "invalid request: " + strings.Join(parts, "; ")
	return out
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

// Plan is what storing a task's own columns means, decided by PlanTask.
type Plan struct {
	Title       string
	Description string
	Priority    taskv1.Priority
	// DueAt is the deadline: the due moment, or for an all-day task the end of its day in
	// the user's time zone; nil without a due.
	DueAt *time.Time
	// DueDate is the day of an all-day task, nil otherwise.
	DueDate *taskv1.Date
	// Recurrence is the task's rule, checked; nil for a one-off task.
	Recurrence *taskv1.RecurrenceRule
	// TagIDs are the tags the task asks for; whether the user owns them is the store's
	// question (see RequireOwnedTags).
	TagIDs []uuid.UUID
}

// PlanTask checks the complete desired task t (its input fields: validation, a due date
// that exists, a rule that is valid and has a due from which the series can run in loc,
// tag ids that are distinct in any case) and decides its columns, resolving an all-day
// due in loc. The title is canonical (see Name), the description NFC (see Text). Every error is an InvalidArgument naming the field at fault.
func PlanTask(t *taskv1.Task, loc *time.Location) (Plan, error) {
	if err := Validate(t); err != nil {
		return Plan{}, err
	}
	title, err := Name("task.title", "title.not_blank", t.GetTitle(), maxTitle)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Title: title, Description: Text(t.GetDescription()), Priority: t.GetPriority()}
	if p.DueAt, p.DueDate, err = resolveDue(t.GetDue(), loc); err != nil {
		return Plan{}, err
	}
	if rule := t.GetRecurrence(); rule != nil {
		if t.GetDue() == nil {
			return Plan{}, apierr.Invalid("task.recurrence", "recurrence.needs_due", "a repeating task needs a due date")
		}
		if _, _, err := Series("task.recurrence", "task.due", rule, t.GetDue(), loc); err != nil {
			return Plan{}, err
		}
		p.Recurrence = rule
	}
	if p.TagIDs, err = ParseIDs("task.tag_ids", t.GetTagIds()); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// RequireOwnedTags answers NotFound("tag") unless the user owns every one of the
// requested tags (owned is how many of them the store found the user's).
func RequireOwnedTags(requested []uuid.UUID, owned int64) error {
	if owned != int64(len(requested)) {
		return apierr.NotFound("tag")
	}
	return nil
}

// resolveDue turns a Due into the deadline moment and, for all-day tasks, the date. An
// all-day task's deadline is the end of its day in loc.
func resolveDue(due *taskv1.Due, loc *time.Location) (*time.Time, *taskv1.Date, error) {
	switch k := due.GetKind().(type) {
	case *taskv1.Due_At:
		at := k.At.AsTime().Truncate(time.Microsecond)
		return &at, nil, nil
	case *taskv1.Due_Date:
		d := k.Date
		day := time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, loc)
		if day.Year() != int(d.Year) || day.Month() != time.Month(d.Month) || day.Day() != int(d.Day) {
			return nil, nil, apierr.Invalid("task.due.date", "date.valid", fmt.Sprintf("%04d-%02d-%02d is not a date", d.Year, d.Month, d.Day))
		}
		end := time.Date(int(d.Year), time.Month(d.Month), int(d.Day)+1, 0, 0, 0, 0, loc)
		return &end, &taskv1.Date{Year: d.Year, Month: d.Month, Day: d.Day}, nil
	}
	return nil, nil, nil
}

// Reminder is one reminder row as PlanReminders decides it.
type Reminder struct {
	// ID is the id of a reminder kept from before; uuid.Nil for a new one, which the
	// store gives a fresh id.
	ID       uuid.UUID
	Position int16
	// At is set for an absolute reminder, BeforeDueSeconds for one counted back from the
	// due time.
	At               *time.Time
	BeforeDueSeconds *int64
	// RemindAt is when it fires.
	RemindAt time.Time
	// FiredAt is kept from before for an unchanged reminder that fired already.
	FiredAt *time.Time
}

// PlanReminders computes the reminder rows of t, whose columns p are (from PlanTask), in
// loc. A reminder keeps its id and fired state when it is unchanged (same id in before,
// same moment, same choice); otherwise it is new and unfired. A reminder after the due
// time, one counted back from a due that does not exist, or one outside years 1 to 9999
// answers InvalidArgument naming it.
func PlanReminders(t *taskv1.Task, p Plan, loc *time.Location, before *taskv1.Task) ([]Reminder, error) {
	old := map[string]*taskv1.Reminder{}
	for _, r := range before.GetReminders() {
		old[r.GetId()] = r
	}
	out := make([]Reminder, 0, len(t.GetReminders()))
	for i, r := range t.GetReminders() {
		field := "task.reminders[" + strconv.Itoa(i) + "]"
		row := Reminder{Position: int16(i)}
		switch w := r.GetWhen().(type) {
		case *taskv1.Reminder_At:
			at := w.At.AsTime().Truncate(time.Microsecond)
			if p.DueAt != nil && at.After(*p.DueAt) {
				return nil, apierr.Invalid(field+".at", "reminder.after_due", "a reminder cannot be after the due time")
			}
			row.At, row.RemindAt = &at, at
		case *taskv1.Reminder_BeforeDue:
			if p.DueAt == nil {
				return nil, apierr.Invalid(field+".before_due", "reminder.needs_due", "a reminder before the due time needs a due time")
			}
			secs := int64(w.BeforeDue.AsDuration() / time.Second)
			anchor := *p.DueAt
			if d := p.DueDate; d != nil {
				anchor = time.Date(int(d.Year), time.Month(d.Month), int(d.Day), AllDayReminderHour, 0, 0, 0, loc)
			}
			row.BeforeDueSeconds, row.RemindAt = &secs, anchor.Add(-time.Duration(secs)*time.Second)
		default:
			return nil, apierr.Invalid(field, "reminder.when", "a reminder needs a time or an offset before the due time")
		}
		if timestamppb.New(row.RemindAt).CheckValid() != nil {
			return nil, apierr.Invalid(field, "reminder.range", "the reminder would fall outside years 1 to 9999")
		}
		if prev, ok := old[r.GetId()]; ok && prev.GetRemindAt().AsTime().Equal(row.RemindAt) && proto.Equal(userChoice(prev), userChoice(r)) {
			id, err := uuid.Parse(prev.GetId())
			if err == nil {
				row.ID = id
				if prev.GetFiredAt() != nil {
					fired := prev.GetFiredAt().AsTime()
					row.FiredAt = &fired
				}
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
