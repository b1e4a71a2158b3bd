package recurrence

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
)

func TestProtoRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want *taskv1.RecurrenceRule
	}{
		{
			name: "daily",
			rule: Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion},
			want: &taskv1.RecurrenceRule{
				Frequency: taskv1.Frequency_FREQUENCY_DAILY,
				Interval:  3,
				Anchor:    taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_COMPLETION_DATE,
			},
		},
		{
			name: "weekly on Sunday and Monday until",
			rule: Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Sunday, time.Monday), Until: date(2026, 6, 30)},
			want: &taskv1.RecurrenceRule{
				Frequency: taskv1.Frequency_FREQUENCY_WEEKLY,
				Interval:  2,
				Weekdays:  []taskv1.Weekday{taskv1.Weekday_WEEKDAY_MONDAY, taskv1.Weekday_WEEKDAY_SUNDAY},
				End:       &taskv1.RecurrenceRule_Until{Until: &taskv1.Date{Year: 2026, Month: 6, Day: 30}},
				Anchor:    taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_DUE_DATE,
			},
		},
		{
			name: "monthly last Sunday with count",
			rule: Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: -1, Weekday: time.Sunday}, Count: 5},
			want: &taskv1.RecurrenceRule{
				Frequency: taskv1.Frequency_FREQUENCY_MONTHLY,
				Interval:  1,
				MonthDay: &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{
					N: -1, Weekday: taskv1.Weekday_WEEKDAY_SUNDAY,
				}},
				End:    &taskv1.RecurrenceRule_Count{Count: 5},
				Anchor: taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_DUE_DATE,
			},
		},
		{
			name: "yearly on February 29",
			rule: Rule{Frequency: Yearly, Interval: 1, Month: time.February, DayOfMonth: 29},
			want: &taskv1.RecurrenceRule{
				Frequency: taskv1.Frequency_FREQUENCY_YEARLY,
				Interval:  1,
				Month:     2,
				MonthDay:  &taskv1.RecurrenceRule_DayOfMonth{DayOfMonth: 29},
				Anchor:    taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_DUE_DATE,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ToProto(tt.rule)
			if !proto.Equal(p, tt.want) {
				t.Errorf("ToProto(%v) = %v, want %v", tt.rule, p, tt.want)
			}
			back, err := FromProto(p)
			if err != nil {
				t.Fatalf("FromProto(%v): %v", p, err)
			}
			if back != tt.rule {
				t.Errorf("FromProto(ToProto(%v)) = %v", tt.rule, back)
			}
		})
	}
}

func TestFromProtoUnspecifiedAnchor(t *testing.T) {
	r, err := FromProto(&taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Anchor != AnchorDueDate {
		t.Errorf("anchor = %v, want due_date", r.Anchor)
	}
}

func TestFromProtoErrors(t *testing.T) {
	daily := func(mod func(p *taskv1.RecurrenceRule)) *taskv1.RecurrenceRule {
		p := &taskv1.RecurrenceRule{Frequency: taskv1.Frequency_FREQUENCY_DAILY, Interval: 1}
		mod(p)
		return p
	}
	monthly := func(mod func(p *taskv1.RecurrenceRule)) *taskv1.RecurrenceRule {
		return daily(func(p *taskv1.RecurrenceRule) {
			p.Frequency = taskv1.Frequency_FREQUENCY_MONTHLY
			mod(p)
		})
	}
	tests := []struct {
		name  string
		in    *taskv1.RecurrenceRule
		field string
	}{
		{name: "unspecified frequency", in: daily(func(p *taskv1.RecurrenceRule) { p.Frequency = 0 }), field: "frequency"},
		{name: "unknown frequency", in: daily(func(p *taskv1.RecurrenceRule) { p.Frequency = 42 }), field: "frequency"},
		{name: "interval 0", in: daily(func(p *taskv1.RecurrenceRule) { p.Interval = 0 }), field: "interval"},
		{name: "unspecified weekday", in: daily(func(p *taskv1.RecurrenceRule) {
			p.Frequency = taskv1.Frequency_FREQUENCY_WEEKLY
			p.Weekdays = []taskv1.Weekday{taskv1.Weekday_WEEKDAY_MONDAY, 0}
		}), field: "weekdays[1]"},
		{name: "weekday 8", in: daily(func(p *taskv1.RecurrenceRule) {
			p.Frequency = taskv1.Frequency_FREQUENCY_WEEKLY
			p.Weekdays = []taskv1.Weekday{8}
		}), field: "weekdays[0]"},
		{name: "repeated weekday", in: daily(func(p *taskv1.RecurrenceRule) {
			p.Frequency = taskv1.Frequency_FREQUENCY_WEEKLY
			p.Weekdays = []taskv1.Weekday{taskv1.Weekday_WEEKDAY_SUNDAY, taskv1.Weekday_WEEKDAY_SUNDAY}
		}), field: "weekdays[1]"},
		{name: "weekdays on daily", in: daily(func(p *taskv1.RecurrenceRule) {
			p.Weekdays = []taskv1.Weekday{taskv1.Weekday_WEEKDAY_SUNDAY}
		}), field: "weekdays"},
		{name: "day of month 0", in: monthly(func(p *taskv1.RecurrenceRule) {
			p.MonthDay = &taskv1.RecurrenceRule_DayOfMonth{}
		}), field: "day_of_month"},
		{name: "nil nth weekday", in: monthly(func(p *taskv1.RecurrenceRule) {
			p.MonthDay = &taskv1.RecurrenceRule_NthWeekday{}
		}), field: "nth_weekday"},
		{name: "nth 0", in: monthly(func(p *taskv1.RecurrenceRule) {
			p.MonthDay = &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{Weekday: taskv1.Weekday_WEEKDAY_MONDAY}}
		}), field: "nth_weekday.n"},
		{name: "nth without weekday", in: monthly(func(p *taskv1.RecurrenceRule) {
			p.MonthDay = &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{N: 1}}
		}), field: "nth_weekday.weekday"},
		{name: "month on monthly", in: monthly(func(p *taskv1.RecurrenceRule) { p.Month = 3 }), field: "month"},
		{name: "nil until", in: daily(func(p *taskv1.RecurrenceRule) { p.End = &taskv1.RecurrenceRule_Until{} }), field: "until"},
		{name: "until April 31", in: daily(func(p *taskv1.RecurrenceRule) {
			p.End = &taskv1.RecurrenceRule_Until{Until: &taskv1.Date{Year: 2026, Month: 4, Day: 31}}
		}), field: "until"},
		{name: "count 0", in: daily(func(p *taskv1.RecurrenceRule) { p.End = &taskv1.RecurrenceRule_Count{} }), field: "count"},
		{name: "unknown anchor", in: daily(func(p *taskv1.RecurrenceRule) { p.Anchor = 3 }), field: "anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := FromProto(tt.in)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("FromProto(%v) = %v, %v, want a FieldError on %s", tt.in, r, err, tt.field)
			}
			if fe.Field != tt.field {
				t.Errorf("FromProto(%v) error %q names %s, want %s", tt.in, err, fe.Field, tt.field)
			}
		})
	}
	if _, err := FromProto(nil); err == nil {
		t.Errorf("FromProto(nil) succeeded")
	}
}

func TestDueConversions(t *testing.T) {
	at := time.Date(2026, 3, 8, 14, 0, 0, 5, time.UTC)
	for _, o := range []Occurrence{AtTime(at), OnDate(date(2024, 2, 29))} {
		back, err := FromProtoDue(ToProtoDue(o))
		if err != nil {
			t.Fatalf("FromProtoDue(ToProtoDue(%s)): %v", o, err)
		}
		if !back.At.Equal(o.At) || back.Date != o.Date {
			t.Errorf("FromProtoDue(ToProtoDue(%s)) = %s", o, back)
		}
	}
	if ToProtoDue(Occurrence{}) != nil {
		t.Errorf("ToProtoDue of an empty occurrence is not nil")
	}

	tests := []struct {
		name string
		in   *taskv1.Due
		want string
	}{
		{name: "nil", in: nil, want: "nil"},
		{name: "no kind", in: &taskv1.Due{}, want: "neither"},
		{name: "nil timestamp", in: &taskv1.Due{Kind: &taskv1.Due_At{}}, want: "due.at"},
		{name: "timestamp past 9999", in: &taskv1.Due{Kind: &taskv1.Due_At{At: &timestamppb.Timestamp{Seconds: 253402300800}}}, want: "due.at"},
		{name: "nil date", in: &taskv1.Due{Kind: &taskv1.Due_Date{}}, want: "due.date"},
		{name: "February 30", in: &taskv1.Due{Kind: &taskv1.Due_Date{Date: &taskv1.Date{Year: 2026, Month: 2, Day: 30}}}, want: "due.date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := FromProtoDue(tt.in)
			if err == nil {
				t.Fatalf("FromProtoDue(%v) = %s, want an error", tt.in, o)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FromProtoDue(%v) error %q does not mention %q", tt.in, err, tt.want)
			}
		})
	}
}
