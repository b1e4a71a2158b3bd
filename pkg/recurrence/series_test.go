package recurrence

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func date(y, m, d int) Date { return Date{Year: y, Month: time.Month(m), Day: d} }

// moment returns an occurrence at a wall-clock time that exists once in loc.
func moment(loc *time.Location, y, m, d, h, mi int) Occurrence {
	return AtTime(time.Date(y, time.Month(m), d, h, mi, 0, 0, loc))
}

// show renders occurrences for comparison: "2006-01-02" for days, local time with its
// offset for moments (so that DST offsets are checked too).
func show(loc *time.Location, occs ...Occurrence) []string {
	out := make([]string, 0, len(occs))
	for _, o := range occs {
		if o.AllDay() {
			out = append(out, o.Date.String())
			continue
		}
		out = append(out, o.At.In(loc).Format("2006-01-02 15:04 -0700"))
	}
	return out
}

func TestOccurrences(t *testing.T) {
	utc := time.UTC
	ny := mustLoad(t, "America/New_York")
	paris := mustLoad(t, "Europe/Paris")
	apia := mustLoad(t, "Pacific/Apia")
	tests := []struct {
		name  string
		rule  Rule
		loc   *time.Location
		start Occurrence
		n     int
		want  []string
	}{
		{
			name:  "daily",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   utc,
			start: moment(utc, 2026, 2, 27, 9, 0),
			n:     4,
			want:  []string{"2026-02-27 09:00 +0000", "2026-02-28 09:00 +0000", "2026-03-01 09:00 +0000", "2026-03-02 09:00 +0000"},
		},
		{
			name:  "every 3 days",
			rule:  Rule{Frequency: Daily, Interval: 3},
			loc:   utc,
			start: OnDate(date(2026, 12, 28)),
			n:     4,
			want:  []string{"2026-12-28", "2026-12-31", "2027-01-03", "2027-01-06"},
		},
		{
			name:  "weekly on the start's weekday",
			rule:  Rule{Frequency: Weekly, Interval: 1},
			loc:   paris,
			start: moment(paris, 2026, 5, 6, 18, 30),
			n:     3,
			want:  []string{"2026-05-06 18:30 +0200", "2026-05-13 18:30 +0200", "2026-05-20 18:30 +0200"},
		},
		{
			name:  "every 3 weeks on the start's weekday",
			rule:  Rule{Frequency: Weekly, Interval: 3},
			loc:   utc,
			start: OnDate(date(2026, 5, 6)),
			n:     3,
			want:  []string{"2026-05-06", "2026-05-27", "2026-06-17"},
		},
		{
			name:  "every 2 weeks on Monday and Thursday until June",
			rule:  Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Monday, time.Thursday), Until: date(2026, 6, 30)},
			loc:   ny,
			start: moment(ny, 2026, 5, 4, 9, 0),
			n:     20,
			want: []string{
				"2026-05-04 09:00 -0400", "2026-05-07 09:00 -0400",
				"2026-05-18 09:00 -0400", "2026-05-21 09:00 -0400",
				"2026-06-01 09:00 -0400", "2026-06-04 09:00 -0400",
				"2026-06-15 09:00 -0400", "2026-06-18 09:00 -0400",
				"2026-06-29 09:00 -0400",
			},
		},
		{
			name:  "every 2 weeks on Monday and Thursday from a Wednesday",
			rule:  Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Thursday, time.Monday)},
			loc:   utc,
			start: OnDate(date(2026, 5, 6)),
			n:     5,
			// The start is kept although it is a Wednesday; its week is week 0.
			want: []string{"2026-05-06", "2026-05-07", "2026-05-18", "2026-05-21", "2026-06-01"},
		},
		{
			name:  "weekly on Sunday belongs to the week that began on Monday",
			rule:  Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Monday, time.Sunday)},
			loc:   utc,
			start: OnDate(date(2026, 5, 4)),
			n:     5,
			want:  []string{"2026-05-04", "2026-05-10", "2026-05-18", "2026-05-24", "2026-06-01"},
		},
		{
			name:  "last Friday of every month",
			rule:  Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: -1, Weekday: time.Friday}},
			loc:   ny,
			start: moment(ny, 2026, 1, 30, 17, 0),
			n:     6,
			want: []string{
				"2026-01-30 17:00 -0500", "2026-02-27 17:00 -0500", "2026-03-27 17:00 -0400",
				"2026-04-24 17:00 -0400", "2026-05-29 17:00 -0400", "2026-06-26 17:00 -0400",
			},
		},
		{
			name:  "second Tuesday of every other month",
			rule:  Rule{Frequency: Monthly, Interval: 2, NthWeekday: NthWeekday{N: 2, Weekday: time.Tuesday}},
			loc:   utc,
			start: OnDate(date(2026, 1, 13)),
			n:     3,
			want:  []string{"2026-01-13", "2026-03-10", "2026-05-12"},
		},
		{
			name:  "monthly on the 15th from the 20th",
			rule:  Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 15},
			loc:   utc,
			start: OnDate(date(2026, 1, 20)),
			n:     3,
			want:  []string{"2026-01-20", "2026-02-15", "2026-03-15"},
		},
		{
			name:  "day 31 clamps in February, April and June",
			rule:  Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 31},
			loc:   utc,
			start: OnDate(date(2026, 1, 31)),
			n:     7,
			want:  []string{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"},
		},
		{
			name:  "the start's day 31 clamps and comes back",
			rule:  Rule{Frequency: Monthly, Interval: 1},
			loc:   paris,
			start: moment(paris, 2028, 1, 31, 9, 0),
			n:     4,
			want:  []string{"2028-01-31 09:00 +0100", "2028-02-29 09:00 +0100", "2028-03-31 09:00 +0200", "2028-04-30 09:00 +0200"},
		},
		{
			name:  "every 4 months on the 30th",
			rule:  Rule{Frequency: Monthly, Interval: 4, DayOfMonth: 30},
			loc:   utc,
			start: OnDate(date(2025, 10, 30)),
			n:     4,
			want:  []string{"2025-10-30", "2026-02-28", "2026-06-30", "2026-10-30"},
		},
		{
			name:  "yearly from February 29",
			rule:  Rule{Frequency: Yearly, Interval: 1},
			loc:   utc,
			start: OnDate(date(2024, 2, 29)),
			n:     5,
			want:  []string{"2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"},
		},
		{
			name:  "every 4 years from February 29 skips 2100's missing leap day",
			rule:  Rule{Frequency: Yearly, Interval: 4},
			loc:   utc,
			start: OnDate(date(2096, 2, 29)),
			n:     3,
			want:  []string{"2096-02-29", "2100-02-28", "2104-02-29"},
		},
		{
			name:  "yearly on the fourth Thursday of November",
			rule:  Rule{Frequency: Yearly, Interval: 1, Month: time.November, NthWeekday: NthWeekday{N: 4, Weekday: time.Thursday}},
			loc:   ny,
			start: moment(ny, 2026, 11, 26, 15, 0),
			n:     3,
			want:  []string{"2026-11-26 15:00 -0500", "2027-11-25 15:00 -0500", "2028-11-23 15:00 -0500"},
		},
		{
			name:  "every 2 years in April on day 31",
			rule:  Rule{Frequency: Yearly, Interval: 2, Month: time.April, DayOfMonth: 31},
			loc:   utc,
			start: OnDate(date(2026, 1, 5)),
			n:     3,
			want:  []string{"2026-01-05", "2026-04-30", "2028-04-30"},
		},
		{
			name:  "count stops the series",
			rule:  Rule{Frequency: Daily, Interval: 2, Count: 3},
			loc:   utc,
			start: OnDate(date(2026, 3, 1)),
			n:     10,
			want:  []string{"2026-03-01", "2026-03-03", "2026-03-05"},
		},
		{
			name:  "count 1 is the start alone",
			rule:  Rule{Frequency: Weekly, Interval: 1, Count: 1},
			loc:   utc,
			start: OnDate(date(2026, 3, 1)),
			n:     10,
			want:  []string{"2026-03-01"},
		},
		{
			name:  "until is inclusive",
			rule:  Rule{Frequency: Daily, Interval: 2, Until: date(2026, 3, 5)},
			loc:   utc,
			start: OnDate(date(2026, 3, 1)),
			n:     10,
			want:  []string{"2026-03-01", "2026-03-03", "2026-03-05"},
		},
		{
			name:  "until is a day in the user's zone",
			rule:  Rule{Frequency: Daily, Interval: 1, Until: date(2026, 3, 2)},
			loc:   ny,
			start: moment(ny, 2026, 3, 1, 23, 30), // 04:30 UTC the next day
			n:     10,
			want:  []string{"2026-03-01 23:30 -0500", "2026-03-02 23:30 -0500"},
		},
		{
			name:  "until before the start keeps the start",
			rule:  Rule{Frequency: Daily, Interval: 1, Until: date(2026, 2, 1)},
			loc:   utc,
			start: OnDate(date(2026, 3, 1)),
			n:     10,
			want:  []string{"2026-03-01"},
		},
		{
			name:  "n 0 gives nothing",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   utc,
			start: OnDate(date(2026, 3, 1)),
			n:     0,
			want:  []string{},
		},
		{
			name:  "the series ends at 9999-12-31",
			rule:  Rule{Frequency: Yearly, Interval: 1},
			loc:   utc,
			start: OnDate(date(9998, 12, 31)),
			n:     5,
			want:  []string{"9998-12-31", "9999-12-31"},
		},
		{
			name:  "the series ends where a Timestamp does",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   ny,
			start: moment(ny, 9999, 12, 30, 20, 0), // 9999-12-31 01:00 UTC
			n:     5,
			want:  []string{"9999-12-30 20:00 -0500"},
		},
		{
			name:  "09:00 stays 09:00 across spring forward in New York",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   ny,
			start: moment(ny, 2026, 3, 7, 9, 0),
			n:     3,
			want:  []string{"2026-03-07 09:00 -0500", "2026-03-08 09:00 -0400", "2026-03-09 09:00 -0400"},
		},
		{
			name:  "09:00 stays 09:00 across fall back in New York",
			rule:  Rule{Frequency: Weekly, Interval: 1},
			loc:   ny,
			start: moment(ny, 2026, 10, 25, 9, 0),
			n:     3,
			want:  []string{"2026-10-25 09:00 -0400", "2026-11-01 09:00 -0500", "2026-11-08 09:00 -0500"},
		},
		{
			name:  "09:00 stays 09:00 across spring forward in Paris",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   paris,
			start: moment(paris, 2026, 3, 28, 9, 0),
			n:     3,
			want:  []string{"2026-03-28 09:00 +0100", "2026-03-29 09:00 +0200", "2026-03-30 09:00 +0200"},
		},
		{
			name:  "09:00 stays 09:00 across fall back in Paris",
			rule:  Rule{Frequency: Monthly, Interval: 1},
			loc:   paris,
			start: moment(paris, 2026, 9, 25, 9, 0),
			n:     3,
			want:  []string{"2026-09-25 09:00 +0200", "2026-10-25 09:00 +0100", "2026-11-25 09:00 +0100"},
		},
		{
			name:  "a time in the spring-forward gap moves forward by the gap, then comes back",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   ny,
			start: moment(ny, 2026, 3, 7, 2, 30),
			n:     3,
			want:  []string{"2026-03-07 02:30 -0500", "2026-03-08 03:30 -0400", "2026-03-09 02:30 -0400"},
		},
		{
			name:  "a time in the Paris gap moves forward by the gap",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   paris,
			start: moment(paris, 2026, 3, 28, 2, 30),
			n:     3,
			want:  []string{"2026-03-28 02:30 +0100", "2026-03-29 03:30 +0200", "2026-03-30 02:30 +0200"},
		},
		{
			name:  "an ambiguous time in New York is the earlier moment",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   ny,
			start: moment(ny, 2026, 10, 31, 1, 30),
			n:     3,
			want:  []string{"2026-10-31 01:30 -0400", "2026-11-01 01:30 -0400", "2026-11-02 01:30 -0500"},
		},
		{
			name:  "an ambiguous time in Paris is the earlier moment",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   paris,
			start: moment(paris, 2026, 10, 24, 2, 30),
			n:     3,
			want:  []string{"2026-10-24 02:30 +0200", "2026-10-25 02:30 +0200", "2026-10-26 02:30 +0100"},
		},
		{
			name:  "a skipped day moves to the next and drops the collision",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   apia,
			start: moment(apia, 2011, 12, 28, 9, 0),
			n:     4,
			// 2011-12-30 did not exist in Samoa.
			want: []string{"2011-12-28 09:00 -1000", "2011-12-29 09:00 -1000", "2011-12-31 09:00 +1400", "2012-01-01 09:00 +1400"},
		},
		{
			name:  "all-day weekly on Monday, Wednesday and Friday",
			rule:  Rule{Frequency: Weekly, Interval: 1, Weekdays: Weekdays(time.Monday, time.Wednesday, time.Friday), Count: 5},
			loc:   ny,
			start: OnDate(date(2026, 3, 6)),
			n:     10,
			want:  []string{"2026-03-06", "2026-03-09", "2026-03-11", "2026-03-13", "2026-03-16"},
		},
		{
			name:  "all-day days ignore daylight saving",
			rule:  Rule{Frequency: Daily, Interval: 1},
			loc:   apia,
			start: OnDate(date(2011, 12, 29)),
			n:     3,
			want:  []string{"2011-12-29", "2011-12-30", "2011-12-31"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Occurrences(tt.rule, tt.start, tt.loc, tt.n)
			if err != nil {
				t.Fatalf("Occurrences(%v): %v", tt.rule, err)
			}
			if g := show(tt.loc, got...); strings.Join(g, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Occurrences(%v, %s) =\n  %s\nwant\n  %s", tt.rule, tt.start, strings.Join(g, "\n  "), strings.Join(tt.want, "\n  "))
			}
			for i, o := range got {
				if !o.AllDay() && o.At.Location() != tt.loc {
					t.Errorf("occurrence %d is in %s, want %s", i+1, o.At.Location(), tt.loc)
				}
			}
		})
	}
}

func TestOccurrencesErrors(t *testing.T) {
	valid := Rule{Frequency: Daily, Interval: 1}
	start := OnDate(date(2026, 3, 1))
	tests := []struct {
		name    string
		rule    Rule
		start   Occurrence
		loc     *time.Location
		n       int
		want    string
		invalid bool // the error is a FieldError
	}{
		{name: "invalid rule", rule: Rule{Frequency: Daily}, start: start, loc: time.UTC, n: 1, want: "interval must be between 1 and 1000", invalid: true},
		{name: "nil zone", rule: valid, start: start, loc: nil, n: 1, want: "loc"},
		{name: "negative n", rule: valid, start: start, loc: time.UTC, n: -1, want: "n must be between 0 and 10000"},
		{name: "too many", rule: valid, start: start, loc: time.UTC, n: MaxCount + 1, want: "n must be between 0 and 10000"},
		{name: "empty start", rule: valid, start: Occurrence{}, loc: time.UTC, n: 1, want: "start: neither"},
		{name: "start with both", rule: valid, start: Occurrence{At: time.Unix(0, 0), Date: date(2026, 1, 1)}, loc: time.UTC, n: 1, want: "start: both"},
		{name: "start on February 30", rule: valid, start: OnDate(date(2026, 2, 30)), loc: time.UTC, n: 1, want: "2026-02-30 is not a day"},
		{name: "start in year 10000", rule: valid, start: OnDate(date(10000, 1, 1)), loc: time.UTC, n: 1, want: "year 10000"},
		{name: "start moment past a Timestamp", rule: valid, start: AtTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), loc: time.UTC, n: 1, want: "outside years 1 to 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Occurrences(tt.rule, tt.start, tt.loc, tt.n)
			if err == nil {
				t.Fatalf("Occurrences() = %v, want an error", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if errors.Is(err, ErrInvalidRule) != tt.invalid {
				t.Errorf("errors.Is(%q, ErrInvalidRule) = %v, want %v", err, !tt.invalid, tt.invalid)
			}
		})
	}
}

func TestNext(t *testing.T) {
	utc := time.UTC
	ny := mustLoad(t, "America/New_York")
	paris := mustLoad(t, "Europe/Paris")
	monThu := Weekdays(time.Monday, time.Thursday)
	tests := []struct {
		name        string
		rule        Rule
		loc         *time.Location
		start       Occurrence
		current     Occurrence
		index       int
		completedAt time.Time
		want        string // "" when the series has ended
	}{
		{
			name:    "due date: Monday to Thursday",
			rule:    Rule{Frequency: Weekly, Interval: 2, Weekdays: monThu},
			loc:     ny,
			start:   moment(ny, 2026, 5, 4, 9, 0),
			current: moment(ny, 2026, 5, 18, 9, 0),
			index:   3,
			want:    "2026-05-21 09:00 -0400",
		},
		{
			name:    "due date: Thursday to the Monday two weeks on",
			rule:    Rule{Frequency: Weekly, Interval: 2, Weekdays: monThu},
			loc:     ny,
			start:   moment(ny, 2026, 5, 4, 9, 0),
			current: moment(ny, 2026, 5, 21, 9, 0),
			index:   4,
			want:    "2026-06-01 09:00 -0400",
		},
		{
			name:        "due date ignores completion",
			rule:        Rule{Frequency: Daily, Interval: 1},
			loc:         utc,
			start:       OnDate(date(2026, 3, 1)),
			current:     OnDate(date(2026, 3, 1)),
			index:       1,
			completedAt: time.Date(2026, 3, 20, 0, 0, 0, 0, utc),
			want:        "2026-03-02",
		},
		{
			name:    "due date: the start's clamped day 31 comes back",
			rule:    Rule{Frequency: Monthly, Interval: 1},
			loc:     utc,
			start:   OnDate(date(2026, 1, 31)),
			current: OnDate(date(2026, 2, 28)),
			index:   2,
			want:    "2026-03-31",
		},
		{
			name:    "due date: the start's time comes back after a gap",
			rule:    Rule{Frequency: Daily, Interval: 1},
			loc:     ny,
			start:   moment(ny, 2026, 3, 1, 2, 30),
			current: moment(ny, 2026, 3, 8, 3, 30),
			index:   8,
			want:    "2026-03-09 02:30 -0400",
		},
		{
			name:    "due date: a moved occurrence counts from its new day",
			rule:    Rule{Frequency: Weekly, Interval: 1, Weekdays: monThu},
			loc:     paris,
			start:   moment(paris, 2026, 5, 4, 9, 0),
			current: moment(paris, 2026, 5, 8, 20, 0), // a Friday
			index:   2,
			want:    "2026-05-11 09:00 +0200",
		},
		{
			name:    "due date: current before the start gives the start",
			rule:    Rule{Frequency: Daily, Interval: 1},
			loc:     utc,
			start:   OnDate(date(2026, 3, 10)),
			current: OnDate(date(2026, 3, 1)),
			index:   1,
			want:    "2026-03-10",
		},
		{
			name:    "due date: count reached",
			rule:    Rule{Frequency: Daily, Interval: 1, Count: 3},
			loc:     utc,
			start:   OnDate(date(2026, 3, 1)),
			current: OnDate(date(2026, 3, 3)),
			index:   3,
			want:    "",
		},
		{
			name:    "due date: last before count",
			rule:    Rule{Frequency: Daily, Interval: 1, Count: 3},
			loc:     utc,
			start:   OnDate(date(2026, 3, 1)),
			current: OnDate(date(2026, 3, 2)),
			index:   2,
			want:    "2026-03-03",
		},
		{
			name:    "due date: until reached",
			rule:    Rule{Frequency: Weekly, Interval: 1, Until: date(2026, 3, 14)},
			loc:     utc,
			start:   OnDate(date(2026, 3, 1)),
			current: OnDate(date(2026, 3, 8)),
			index:   2,
			want:    "",
		},
		{
			name:    "due date: until inclusive",
			rule:    Rule{Frequency: Weekly, Interval: 1, Until: date(2026, 3, 15)},
			loc:     utc,
			start:   OnDate(date(2026, 3, 1)),
			current: OnDate(date(2026, 3, 8)),
			index:   2,
			want:    "2026-03-15",
		},
		{
			name:        "3 days after I finish it",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion},
			loc:         paris,
			start:       moment(paris, 2026, 3, 1, 9, 0),
			current:     moment(paris, 2026, 3, 1, 9, 0),
			index:       1,
			completedAt: time.Date(2026, 3, 5, 18, 0, 0, 0, paris),
			want:        "2026-03-08 09:00 +0100",
		},
		{
			name:        "3 days after I finish it, across spring forward",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion},
			loc:         paris,
			start:       moment(paris, 2026, 3, 1, 9, 0),
			current:     moment(paris, 2026, 3, 25, 9, 0),
			index:       5,
			completedAt: time.Date(2026, 3, 27, 8, 0, 0, 0, paris),
			want:        "2026-03-30 09:00 +0200",
		},
		{
			name:        "3 days after I finish it, late at night in the user's zone",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion},
			loc:         ny,
			start:       moment(ny, 2026, 3, 1, 9, 0),
			current:     moment(ny, 2026, 3, 1, 9, 0),
			index:       1,
			completedAt: time.Date(2026, 3, 6, 4, 30, 0, 0, utc), // March 5, 23:30 in New York
			want:        "2026-03-08 09:00 -0400",
		},
		{
			name:        "3 days after I finish it, finished early",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion},
			loc:         utc,
			start:       OnDate(date(2026, 3, 1)),
			current:     OnDate(date(2026, 3, 13)),
			index:       4,
			completedAt: time.Date(2026, 3, 9, 12, 0, 0, 0, utc),
			want:        "2026-03-12",
		},
		{
			name:        "2 weeks after I finish it",
			rule:        Rule{Frequency: Weekly, Interval: 2, Anchor: AnchorCompletion},
			loc:         utc,
			start:       OnDate(date(2026, 3, 2)), // a Monday
			current:     OnDate(date(2026, 3, 2)),
			index:       1,
			completedAt: time.Date(2026, 3, 4, 12, 0, 0, 0, utc), // a Wednesday
			want:        "2026-03-18",
		},
		{
			name:        "weekly on Monday and Thursday after completion on a Tuesday",
			rule:        Rule{Frequency: Weekly, Interval: 1, Weekdays: monThu, Anchor: AnchorCompletion},
			loc:         utc,
			start:       moment(utc, 2026, 3, 2, 7, 0),
			current:     moment(utc, 2026, 3, 2, 7, 0),
			index:       1,
			completedAt: time.Date(2026, 3, 3, 12, 0, 0, 0, utc),
			want:        "2026-03-05 07:00 +0000",
		},
		{
			name:        "a month after I finish it clamps",
			rule:        Rule{Frequency: Monthly, Interval: 1, Anchor: AnchorCompletion},
			loc:         utc,
			start:       OnDate(date(2026, 1, 10)),
			current:     OnDate(date(2026, 1, 10)),
			index:       1,
			completedAt: time.Date(2026, 1, 31, 12, 0, 0, 0, utc),
			want:        "2026-02-28",
		},
		{
			name:        "monthly on the 15th after completion on the 20th",
			rule:        Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 15, Anchor: AnchorCompletion},
			loc:         utc,
			start:       OnDate(date(2026, 1, 15)),
			current:     OnDate(date(2026, 2, 15)),
			index:       2,
			completedAt: time.Date(2026, 3, 20, 12, 0, 0, 0, utc),
			want:        "2026-04-15",
		},
		{
			name:        "a year after I finish it",
			rule:        Rule{Frequency: Yearly, Interval: 1, Anchor: AnchorCompletion},
			loc:         utc,
			start:       OnDate(date(2024, 2, 29)),
			current:     OnDate(date(2024, 2, 29)),
			index:       1,
			completedAt: time.Date(2024, 3, 2, 12, 0, 0, 0, utc),
			want:        "2025-03-02",
		},
		{
			name:        "completion: count reached",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion, Count: 2},
			loc:         utc,
			start:       OnDate(date(2026, 3, 1)),
			current:     OnDate(date(2026, 3, 4)),
			index:       2,
			completedAt: time.Date(2026, 3, 4, 12, 0, 0, 0, utc),
			want:        "",
		},
		{
			name:        "completion: past until",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion, Until: date(2026, 3, 10)},
			loc:         utc,
			start:       OnDate(date(2026, 3, 1)),
			current:     OnDate(date(2026, 3, 4)),
			index:       2,
			completedAt: time.Date(2026, 3, 8, 12, 0, 0, 0, utc),
			want:        "",
		},
		{
			name:        "completion: on until",
			rule:        Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion, Until: date(2026, 3, 10)},
			loc:         utc,
			start:       OnDate(date(2026, 3, 1)),
			current:     OnDate(date(2026, 3, 4)),
			index:       2,
			completedAt: time.Date(2026, 3, 7, 12, 0, 0, 0, utc),
			want:        "2026-03-10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Next(tt.rule, tt.start, tt.current, tt.index, tt.completedAt, tt.loc)
			if err != nil {
				t.Fatalf("Next(%v): %v", tt.rule, err)
			}
			if tt.want == "" {
				if ok {
					t.Errorf("Next(%v, %s, %d) = %s, want the end of the series", tt.rule, tt.current, tt.index, got)
				}
				return
			}
			if !ok {
				t.Fatalf("Next(%v, %s, %d) ended the series, want %s", tt.rule, tt.current, tt.index, tt.want)
			}
			if g := show(tt.loc, got)[0]; g != tt.want {
				t.Errorf("Next(%v, %s, %d) = %s, want %s", tt.rule, tt.current, tt.index, g, tt.want)
			}
		})
	}
}

func TestNextErrors(t *testing.T) {
	daily := Rule{Frequency: Daily, Interval: 1}
	start := OnDate(date(2026, 3, 1))
	tests := []struct {
		name        string
		rule        Rule
		current     Occurrence
		index       int
		completedAt time.Time
		loc         *time.Location
		want        string
	}{
		{name: "invalid rule", rule: Rule{Frequency: 9, Interval: 1}, current: start, index: 1, loc: time.UTC, want: "frequency"},
		{name: "index 0", rule: daily, current: start, index: 0, loc: time.UTC, want: "index must be at least 1"},
		{name: "empty current", rule: daily, current: Occurrence{}, index: 1, loc: time.UTC, want: "current: neither"},
		{name: "nil zone", rule: daily, current: start, index: 1, loc: nil, want: "loc"},
		{
			name: "completion without completedAt", rule: Rule{Frequency: Daily, Interval: 1, Anchor: AnchorCompletion},
			current: start, index: 1, loc: time.UTC, want: "completedAt is required",
		},
		{
			name: "completion in year 10000", rule: Rule{Frequency: Daily, Interval: 1, Anchor: AnchorCompletion},
			current: start, index: 1, completedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), loc: time.UTC, want: "completedAt",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := Next(tt.rule, start, tt.current, tt.index, tt.completedAt, tt.loc)
			if err == nil {
				t.Fatalf("Next() = %s, %v, want an error", got, ok)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestNextAgreesWithOccurrences walks series with Next and checks that it yields what
// Occurrences lists, and then the end.
func TestNextAgreesWithOccurrences(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	rules := []Rule{
		{Frequency: Daily, Interval: 5, Count: 30},
		{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Monday, time.Thursday, time.Sunday), Until: date(2026, 9, 1)},
		{Frequency: Monthly, Interval: 1, DayOfMonth: 31, Count: 20},
		{Frequency: Monthly, Interval: 3, NthWeekday: NthWeekday{N: -1, Weekday: time.Sunday}, Count: 12},
		{Frequency: Yearly, Interval: 1, Count: 9},
	}
	starts := []Occurrence{moment(ny, 2026, 1, 31, 2, 30), OnDate(date(2028, 2, 29))}
	for _, rule := range rules {
		for _, start := range starts {
			t.Run(fmt.Sprintf("%v from %s", rule, start), func(t *testing.T) {
				want, err := Occurrences(rule, start, ny, 100)
				if err != nil {
					t.Fatal(err)
				}
				cur := want[0]
				for i := 1; ; i++ {
					next, ok, err := Next(rule, start, cur, i, time.Time{}, ny)
					if err != nil {
						t.Fatalf("Next after #%d %s: %v", i, cur, err)
					}
					if i == len(want) {
						if ok {
							t.Fatalf("Next after the last, #%d %s, = %s, want the end", i, cur, next)
						}
						return
					}
					if !ok || show(ny, next)[0] != show(ny, want[i])[0] {
						t.Fatalf("Next after #%d %s = %s, %v, want %s", i, cur, next, ok, want[i])
					}
					cur = next
				}
			})
		}
	}
}

// The first moment a due can name, 0001-01-01T00:00:00Z, is time.Time's zero value; a
// series may start there (in a zone where it is still year 1) like anywhere else.
func TestSeriesFromTheFirstMoment(t *testing.T) {
	start := AtTime(time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC))
	got, err := Occurrences(Rule{Frequency: Daily, Interval: 1}, start, time.UTC, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].At.Equal(start.At) || !got[1].At.Equal(start.At.AddDate(0, 0, 1)) {
		t.Fatalf("occurrences = %v", got)
	}
	if d := ToProtoDue(got[0]); d.GetAt().AsTime() != start.At || d.GetAt().CheckValid() != nil {
		t.Fatalf("ToProtoDue(first moment) = %v", d)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Occurrences(Rule{Frequency: Daily, Interval: 1}, start, ny, 2); err == nil {
		t.Fatal("a series whose start is in year 0 in New York was accepted")
	}
}
