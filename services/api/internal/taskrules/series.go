package taskrules

import (
	"strings"
	"time"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/recurrence"
)

// Series checks, once for every place a series is created or previewed (CreateTask,
// UpdateTask, PreviewOccurrences), that rule starting at due makes a series whose
// occurrences can be computed in loc: a valid rule, and a first occurrence that falls
// within years 1 to 9999 in loc. A series refused here would otherwise be stored and then
// stop for good when its first occurrence is completed (the recurring consumer cannot
// compute the next one), or be refused by the preview although created. Errors are
// InvalidArgument on ruleField (with the rule's own field appended) or on dueField.
func Series(ruleField, dueField string, rule *taskv1.RecurrenceRule, due *taskv1.Due, loc *time.Location) (recurrence.Rule, recurrence.Occurrence, error) {
	r, err := recurrence.FromProto(rule)
	if err != nil {
		return recurrence.Rule{}, recurrence.Occurrence{}, RuleError(ruleField, err)
	}
	start, err := recurrence.FromProtoDue(due)
	if err != nil {
		return recurrence.Rule{}, recurrence.Occurrence{}, apierr.Invalid(dueField, "due.valid", strings.TrimPrefix(err.Error(), "recurrence: "))
	}
	if _, err := recurrence.Occurrences(r, start, loc, 1); err != nil {
		return recurrence.Rule{}, recurrence.Occurrence{}, apierr.Invalid(dueField, "series.range",
			"a repeating task must start within years 1 to 9999 in its time zone ("+loc.String()+"); "+start.String()+" does not")
	}
	return r, start, nil
}
