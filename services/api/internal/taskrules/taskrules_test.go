package taskrules_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"buf.build/go/protovalidate"
	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// violated returns the code of err and the field paths it names (nil for no error).
func violated(t *testing.T, err error) (connect.Code, []string) {
	t.Helper()
	if err == nil {
		return 0, nil
	}
	var aerr *apierr.Error
	if !errors.As(err, &aerr) {
		t.Fatalf("not an apierr.Error: %v", err)
	}
	var fields []string
	for _, v := range aerr.Violations {
		fields = append(fields, protovalidate.FieldPathString(v.GetField()))
	}
	return aerr.Code, fields
}

func TestParseMask(t *testing.T) {
	cases := []struct {
		name  string
		paths []string
		want  taskrules.Fields
		fails bool
	}{
		{name: "one", paths: []string{"title"}, want: taskrules.Title},
		{name: "every field", paths: []string{"title", "description", "priority", "tag_ids", "due", "reminders", "recurrence"}, want: taskrules.All},
		{name: "repeated", paths: []string{"due", "due"}, want: taskrules.Due},
		{name: "empty", paths: nil, fails: true},
		{name: "unknown", paths: []string{"title", "status"}, fails: true},
		{name: "output-only", paths: []string{"version"}, fails: true},
		{name: "case matters", paths: []string{"Title"}, fails: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := taskrules.ParseMask(c.paths)
			if c.fails {
				code, fields := violated(t, err)
				if code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"update_mask"}) {
					t.Fatalf("ParseMask(%q) = %v, %v; want InvalidArgument on update_mask", c.paths, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseMask(%q) = %b, %v; want %b", c.paths, got, err, c.want)
			}
		})
	}
}

func TestMergeTakesOnlyTheMaskedFields(t *testing.T) {
	before := &taskv1.Task{
		Id: "id", Title: "old", Description: "old notes", Priority: taskv1.Priority_PRIORITY_LOW,
		TagIds: []string{"a"}, Version: 3,
		Due:       &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(time.Unix(1e9, 0))}},
		Reminders: []*taskv1.Reminder{{Id: "r"}},
	}
	in := &taskv1.Task{Title: "new", Description: "", Priority: taskv1.Priority_PRIORITY_HIGH, Version: 99}
	got := taskrules.Merge(before, in, taskrules.Title|taskrules.Description|taskrules.Due)
	want := proto.CloneOf(before)
	want.Title, want.Description, want.Due = "new", "", nil
	if !proto.Equal(got, want) {
		t.Errorf("merged:\n got %v\nwant %v", got, want)
	}
	if before.GetTitle() != "old" || before.GetDue() == nil {
		t.Errorf("Merge changed before: %v", before)
	}
}

func TestValidateReportsEveryViolation(t *testing.T) {
	cases := []struct {
		name string
		task *taskv1.Task
		want []string
	}{
		{name: "valid", task: &taskv1.Task{Title: "t"}},
		{name: "one", task: &taskv1.Task{Title: strings.Repeat("x", 501)}, want: []string{"task.title"}},
		{name: "two", task: &taskv1.Task{Title: strings.Repeat("x", 501), Priority: taskv1.Priority(99)}, want: []string{"task.title", "task.priority"}},
		{name: "nested and indexed", task: &taskv1.Task{
			Title: "t", Description: strings.Repeat("d", 10001), TagIds: []string{uuid.NewString(), "home"},
		}, want: []string{"task.description", "task.tag_ids[1]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := taskrules.Validate(c.task)
			code, fields := violated(t, err)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			slices.Sort(fields)
			want := slices.Sorted(slices.Values(c.want))
			if code != connect.CodeInvalidArgument || !slices.Equal(fields, want) {
				t.Fatalf("Validate = %v naming %v; want InvalidArgument naming %v", err, fields, want)
			}
			for _, f := range c.want { // the message names every field too
				if !strings.Contains(err.Error(), f+": ") {
					t.Errorf("message %q does not name %s", err.Error(), f)
				}
			}
		})
	}
}

func dueAt(at time.Time) *taskv1.Due {
	return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(at)}}
}

func dueDate(y, m, d int32) *taskv1.Due {
	return &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: y, Month: m, Day: d}}}
}

func daily() *taskv1.RecurrenceRule {
	return &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
}

func TestPlanTask(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 6, 1, 12, 0, 0, 123456789, time.UTC)
	tag := uuid.New()
	cases := []struct {
		name  string
		task  *taskv1.Task
		check func(t *testing.T, p taskrules.Plan)
		field string // the field an InvalidArgument names; "" for success
	}{
		{name: "title trimmed", task: &taskv1.Task{Title: "  Call mum  ", Priority: taskv1.Priority_PRIORITY_HIGH}, check: func(t *testing.T, p taskrules.Plan) {
			if p.Title != "Call mum" || p.Priority != taskv1.Priority_PRIORITY_HIGH || p.DueAt != nil || p.DueDate != nil || p.Recurrence != nil {
				t.Errorf("plan %+v", p)
			}
		}},
		{name: "due moment to the microsecond", task: &taskv1.Task{Title: "t", Due: dueAt(at)}, check: func(t *testing.T, p taskrules.Plan) {
			if p.DueAt == nil || !p.DueAt.Equal(at.Truncate(time.Microsecond)) || p.DueDate != nil {
				t.Errorf("due %v / %v", p.DueAt, p.DueDate)
			}
		}},
		{name: "all-day due ends with the local day", task: &taskv1.Task{Title: "t", Due: dueDate(2030, 3, 31)}, check: func(t *testing.T, p taskrules.Plan) {
			want := time.Date(2030, 4, 1, 0, 0, 0, 0, paris)
			if p.DueAt == nil || !p.DueAt.Equal(want) || !proto.Equal(p.DueDate, &taskv1.Date{Year: 2030, Month: 3, Day: 31}) {
				t.Errorf("due %v / %v, want %v", p.DueAt, p.DueDate, want)
			}
		}},
		{name: "repeating", task: &taskv1.Task{Title: "t", Due: dueAt(at), Recurrence: daily()}, check: func(t *testing.T, p taskrules.Plan) {
			if !proto.Equal(p.Recurrence, daily()) {
				t.Errorf("recurrence %v", p.Recurrence)
			}
		}},
		{name: "tags parsed", task: &taskv1.Task{Title: "t", TagIds: []string{tag.String()}}, check: func(t *testing.T, p taskrules.Plan) {
			if !slices.Equal(p.TagIDs, []uuid.UUID{tag}) {
				t.Errorf("tags %v", p.TagIDs)
			}
		}},
		{name: "blank title", task: &taskv1.Task{Title: " \t "}, field: "task.title"},
		{name: "date that does not exist", task: &taskv1.Task{Title: "t", Due: dueDate(2026, 2, 30)}, field: "task.due.date"},
		{name: "repeating without due", task: &taskv1.Task{Title: "t", Recurrence: daily()}, field: "task.recurrence"},
		{name: "bad rule", task: &taskv1.Task{Title: "t", Due: dueAt(at), Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY}}, field: "task.recurrence.interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := taskrules.PlanTask(c.task, paris)
			if c.field != "" {
				code, fields := violated(t, err)
				if code != connect.CodeInvalidArgument || !slices.Contains(fields, c.field) {
					t.Fatalf("PlanTask = %v naming %v; want InvalidArgument naming %s", err, fields, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, p)
		})
	}
}

func TestRequireOwnedTags(t *testing.T) {
	ids := []uuid.UUID{uuid.New(), uuid.New()}
	if err := taskrules.RequireOwnedTags(ids, 2); err != nil {
		t.Errorf("all owned: %v", err)
	}
	if err := taskrules.RequireOwnedTags(nil, 0); err != nil {
		t.Errorf("no tags: %v", err)
	}
	if code, _ := violated(t, taskrules.RequireOwnedTags(ids, 1)); code != connect.CodeNotFound {
		t.Errorf("one not owned: code %v, want NotFound", code)
	}
}

func TestPlanReminders(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2030, 6, 10, 18, 0, 0, 0, time.UTC)
	before := func(d time.Duration) *taskv1.Reminder {
		return &taskv1.Reminder{When: &taskv1.Reminder_BeforeDue{BeforeDue: durationpb.New(d)}}
	}
	absolute := func(at time.Time) *taskv1.Reminder {
		return &taskv1.Reminder{When: &taskv1.Reminder_At{At: timestamppb.New(at)}}
	}
	keptID, fired := uuid.New(), time.Date(2030, 6, 10, 17, 0, 0, 0, time.UTC)
	stored := &taskv1.Task{Reminders: []*taskv1.Reminder{{
		Id: keptID.String(), When: before(time.Hour).GetWhen(),
		RemindAt: timestamppb.New(due.Add(-time.Hour)), FiredAt: timestamppb.New(fired),
	}}}
	type want struct {
		remindAt time.Time
		kept     bool // keeps keptID and its fired time
	}
	cases := []struct {
		name   string
		task   *taskv1.Task
		before *taskv1.Task
		want   []want
		field  string
	}{
		{name: "none", task: &taskv1.Task{Title: "t", Due: dueAt(due)}},
		{name: "absolute and relative", task: &taskv1.Task{Title: "t", Due: dueAt(due), Reminders: []*taskv1.Reminder{absolute(due.Add(-24 * time.Hour)), before(30 * time.Minute)}},
			want: []want{{remindAt: due.Add(-24 * time.Hour)}, {remindAt: due.Add(-30 * time.Minute)}}},
		{name: "all-day counts back from 9 local", task: &taskv1.Task{Title: "t", Due: dueDate(2030, 6, 10), Reminders: []*taskv1.Reminder{before(time.Hour)}},
			want: []want{{remindAt: time.Date(2030, 6, 10, taskrules.AllDayReminderHour-1, 0, 0, 0, paris)}}},
		{name: "unchanged reminder keeps id and fired time", before: stored,
			task: &taskv1.Task{Title: "t", Due: dueAt(due), Reminders: []*taskv1.Reminder{{Id: keptID.String(), When: before(time.Hour).GetWhen()}}},
			want: []want{{remindAt: due.Add(-time.Hour), kept: true}}},
		{name: "moved due makes it new", before: stored,
			task: &taskv1.Task{Title: "t", Due: dueAt(due.Add(time.Hour)), Reminders: []*taskv1.Reminder{{Id: keptID.String(), When: before(time.Hour).GetWhen()}}},
			want: []want{{remindAt: due}}},
		{name: "after due", task: &taskv1.Task{Title: "t", Due: dueAt(due), Reminders: []*taskv1.Reminder{absolute(due), absolute(due.Add(time.Second))}}, field: "task.reminders[1].at"},
		{name: "relative without due", task: &taskv1.Task{Title: "t", Reminders: []*taskv1.Reminder{before(time.Hour)}}, field: "task.reminders[0].before_due"},
		{name: "neither at nor before_due", task: &taskv1.Task{Title: "t", Due: dueAt(due), Reminders: []*taskv1.Reminder{{}}}, field: "task.reminders[0]"},
		{name: "before year 1", task: &taskv1.Task{Title: "t", Due: dueDate(1, 1, 1), Reminders: []*taskv1.Reminder{before(24 * time.Hour)}}, field: "task.reminders[0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The columns only: a reminder protovalidate refuses must still be refused here.
			columns := proto.CloneOf(c.task)
			columns.Reminders = nil
			p, err := taskrules.PlanTask(columns, paris)
			if err != nil {
				t.Fatalf("plan the task: %v", err)
			}
			got, err := taskrules.PlanReminders(c.task, p, paris, c.before)
			if c.field != "" {
				code, fields := violated(t, err)
				if code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{c.field}) {
					t.Fatalf("PlanReminders = %v naming %v; want InvalidArgument naming %s", err, fields, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d reminders, want %d: %+v", len(got), len(c.want), got)
			}
			for i, w := range c.want {
				r := got[i]
				if r.Position != int16(i) || !r.RemindAt.Equal(w.remindAt) {
					t.Errorf("reminder %d: position %d at %v, want %d at %v", i, r.Position, r.RemindAt, i, w.remindAt)
				}
				if w.kept && (r.ID != keptID || r.FiredAt == nil || !r.FiredAt.Equal(fired)) {
					t.Errorf("reminder %d: id %v fired %v, want kept %v fired %v", i, r.ID, r.FiredAt, keptID, fired)
				}
				if !w.kept && (r.ID != uuid.Nil || r.FiredAt != nil) {
					t.Errorf("reminder %d: id %v fired %v, want a new unfired one", i, r.ID, r.FiredAt)
				}
			}
		})
	}
}

func TestRuleErrorNamesTheRuleField(t *testing.T) {
	_, err := taskrules.PlanTask(&taskv1.Task{Title: "t", Due: dueAt(time.Now()), Recurrence: &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_WEEKLY, Interval: 1, Weekdays: []taskv1.Weekday{taskv1.Weekday(9)}}}, time.UTC)
	if code, fields := violated(t, err); code != connect.CodeInvalidArgument || len(fields) == 0 || !strings.HasPrefix(fields[0], "task.recurrence") {
		t.Errorf("PlanTask = %v naming %v", err, fields)
	}
	code, fields := violated(t, taskrules.RuleError("rule", errors.New("no occurrence")))
	if code != connect.CodeInvalidArgument || !slices.Equal(fields, []string{"rule"}) {
		t.Errorf("RuleError(plain) names %v", fields)
	}
}
