package recurrence

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		field string // "" for a valid rule
		want  string
	}{
		{name: "daily", rule: Rule{Frequency: Daily, Interval: 1}},
		{name: "weekly with days and count", rule: Rule{Frequency: Weekly, Interval: 1000, Weekdays: Weekdays(time.Sunday, time.Saturday), Count: MaxCount}},
		{name: "monthly last Sunday until", rule: Rule{Frequency: Monthly, Interval: 2, NthWeekday: NthWeekday{N: -1, Weekday: time.Sunday}, Until: date(9999, 12, 31)}},
		{name: "yearly in February on the 29th", rule: Rule{Frequency: Yearly, Interval: 1, Month: time.February, DayOfMonth: 29, Anchor: AnchorCompletion}},
		{name: "zero rule", rule: Rule{}, field: "frequency", want: "frequency must be daily, weekly, monthly or yearly"},
		{name: "hourly", rule: Rule{Frequency: 5, Interval: 1}, field: "frequency", want: "frequency must be"},
		{name: "interval 0", rule: Rule{Frequency: Daily}, field: "interval", want: "interval must be between 1 and 1000"},
		{name: "interval 1001", rule: Rule{Frequency: Daily, Interval: 1001}, field: "interval", want: "interval must be between 1 and 1000"},
		{name: "weekdays on a daily rule", rule: Rule{Frequency: Daily, Interval: 1, Weekdays: Weekdays(time.Monday)}, field: "weekdays", want: "weekdays is only allowed for weekly rules"},
		{name: "weekdays out of range", rule: Rule{Frequency: Weekly, Interval: 1, Weekdays: 0x80}, field: "weekdays", want: "weekdays holds a day outside"},
		{name: "day of month on a weekly rule", rule: Rule{Frequency: Weekly, Interval: 1, DayOfMonth: 3}, field: "day_of_month", want: "day_of_month is only allowed for monthly and yearly"},
		{name: "day of month 32", rule: Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 32}, field: "day_of_month", want: "day_of_month must be between 1 and 31"},
		{name: "day of month -1", rule: Rule{Frequency: Monthly, Interval: 1, DayOfMonth: -1}, field: "day_of_month", want: "day_of_month must be between 1 and 31"},
		{name: "nth on a daily rule", rule: Rule{Frequency: Daily, Interval: 1, NthWeekday: NthWeekday{N: 1, Weekday: time.Monday}}, field: "nth_weekday", want: "nth_weekday is only allowed"},
		{name: "fifth Monday", rule: Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: 5, Weekday: time.Monday}}, field: "nth_weekday.n", want: "nth_weekday.n must be 1, 2, 3, 4 or -1"},
		{name: "weekday without n", rule: Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{Weekday: time.Monday}}, field: "nth_weekday.n", want: "not 0"},
		{name: "second to last", rule: Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: -2, Weekday: time.Monday}}, field: "nth_weekday.n", want: "nth_weekday.n"},
		{name: "weekday 7", rule: Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: 1, Weekday: 7}}, field: "nth_weekday.weekday", want: "nth_weekday.weekday must be Sunday to Saturday"},
		{name: "both day and nth", rule: Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 1, NthWeekday: NthWeekday{N: 1, Weekday: time.Monday}}, field: "day_of_month", want: "cannot both be set"},
		{name: "month on a monthly rule", rule: Rule{Frequency: Monthly, Interval: 1, Month: time.March}, field: "month", want: "month is only allowed for yearly rules"},
		{name: "month 13", rule: Rule{Frequency: Yearly, Interval: 1, Month: 13}, field: "month", want: "month must be between 1 and 12"},
		{name: "until February 30", rule: Rule{Frequency: Daily, Interval: 1, Until: date(2026, 2, 30)}, field: "until", want: "until is not a valid date"},
		{name: "until year 0", rule: Rule{Frequency: Daily, Interval: 1, Until: date(0, 2, 3)}, field: "until", want: "year 0"},
		{name: "until and count", rule: Rule{Frequency: Daily, Interval: 1, Until: date(2026, 2, 3), Count: 3}, field: "count", want: "count and until cannot both be set"},
		{name: "count 10001", rule: Rule{Frequency: Daily, Interval: 1, Count: 10001}, field: "count", want: "count must be between 1 and 10000"},
		{name: "negative count", rule: Rule{Frequency: Daily, Interval: 1, Count: -1}, field: "count", want: "count must be between 1 and 10000"},
		{name: "anchor 2", rule: Rule{Frequency: Daily, Interval: 1, Anchor: 2}, field: "anchor", want: "anchor must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate(%v) = %v, want nil", tt.rule, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%v) = nil, want an error about %s", tt.rule, tt.field)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Errorf("Validate(%v) = %#v, want a FieldError on %s", tt.rule, err, tt.field)
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("errors.Is(%v, ErrInvalidRule) = false", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate(%v) = %q, want it to mention %q", tt.rule, err, tt.want)
			}
		})
	}
}

func TestWeekdaySet(t *testing.T) {
	s := Weekdays(time.Sunday, time.Thursday, time.Monday, time.Thursday, 9, -1)
	if got, want := s.Days(), []time.Weekday{time.Monday, time.Thursday, time.Sunday}; !slices.Equal(got, want) {
		t.Errorf("Days() = %v, want %v", got, want)
	}
	for d := time.Weekday(-1); d <= 8; d++ {
		want := d == time.Sunday || d == time.Monday || d == time.Thursday
		if s.Has(d) != want {
			t.Errorf("Has(%d) = %v, want %v", d, !want, want)
		}
	}
	if Weekdays().Days() != nil {
		t.Errorf("the empty set has days")
	}
}

func TestRuleString(t *testing.T) {
	r := Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Thursday, time.Monday), Until: date(2026, 6, 30)}
	if got, want := r.String(), "weekly/2 on Mon,Thu until 2026-06-30"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
