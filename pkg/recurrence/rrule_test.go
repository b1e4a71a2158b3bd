package recurrence

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// anAllDayStart is the series of the tests that do not depend on it: all-day, where
// UNTIL is a date.
var anAllDayStart = OnDate(date(2026, 1, 5))

func TestParseRRULE(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   Rule
		format string // FormatRRULE(want)
	}{
		{
			name:   "daily",
			in:     "FREQ=DAILY",
			want:   Rule{Frequency: Daily, Interval: 1},
			format: "FREQ=DAILY",
		},
		{
			name:   "with the property name",
			in:     "RRULE:FREQ=DAILY;INTERVAL=3",
			want:   Rule{Frequency: Daily, Interval: 3},
			format: "FREQ=DAILY;INTERVAL=3",
		},
		{
			name:   "every 2 weeks on Monday and Thursday until June",
			in:     "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH,MO;UNTIL=20260630;WKST=MO",
			want:   Rule{Frequency: Weekly, Interval: 2, Weekdays: Weekdays(time.Monday, time.Thursday), Until: date(2026, 6, 30)},
			format: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20260630",
		},
		{
			name:   "every weekday, Sunday last",
			in:     "BYDAY=SU,MO,TU,WE,TH,FR,SA;FREQ=WEEKLY",
			want:   Rule{Frequency: Weekly, Interval: 1, Weekdays: 0x7f},
			format: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU",
		},
		{
			name:   "last Friday of every month",
			in:     "FREQ=MONTHLY;BYDAY=-1FR",
			want:   Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: -1, Weekday: time.Friday}},
			format: "FREQ=MONTHLY;BYDAY=-1FR",
		},
		{
			name:   "second Tuesday with a plus sign",
			in:     "FREQ=MONTHLY;BYDAY=+2TU;COUNT=10",
			want:   Rule{Frequency: Monthly, Interval: 1, NthWeekday: NthWeekday{N: 2, Weekday: time.Tuesday}, Count: 10},
			format: "FREQ=MONTHLY;BYDAY=2TU;COUNT=10",
		},
		{
			name:   "monthly on the 31st",
			in:     "FREQ=MONTHLY;BYMONTHDAY=31",
			want:   Rule{Frequency: Monthly, Interval: 1, DayOfMonth: 31},
			format: "FREQ=MONTHLY;BYMONTHDAY=31",
		},
		{
			name:   "yearly",
			in:     "FREQ=YEARLY",
			want:   Rule{Frequency: Yearly, Interval: 1},
			format: "FREQ=YEARLY",
		},
		{
			name:   "Thanksgiving",
			in:     "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
			want:   Rule{Frequency: Yearly, Interval: 1, Month: time.November, NthWeekday: NthWeekday{N: 4, Weekday: time.Thursday}},
			format: "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
		},
		{
			name:   "every 4 years on February 29",
			in:     "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
			want:   Rule{Frequency: Yearly, Interval: 4, Month: time.February, DayOfMonth: 29},
			format: "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
		},
		{
			name:   "yearly in a month",
			in:     "FREQ=YEARLY;BYMONTH=3",
			want:   Rule{Frequency: Yearly, Interval: 1, Month: time.March},
			format: "FREQ=YEARLY;BYMONTH=3",
		},
		{
			name:   "until as a UTC date-time keeps the date",
			in:     "FREQ=DAILY;UNTIL=20261231T235959Z",
			want:   Rule{Frequency: Daily, Interval: 1, Until: date(2026, 12, 31)},
			format: "FREQ=DAILY;UNTIL=20261231",
		},
		{
			name:   "interval with a leading zero",
			in:     "FREQ=DAILY;INTERVAL=0010",
			want:   Rule{Frequency: Daily, Interval: 10},
			format: "FREQ=DAILY;INTERVAL=10",
		},
		{
			name:   "the largest",
			in:     "FREQ=WEEKLY;INTERVAL=1000;COUNT=10000",
			want:   Rule{Frequency: Weekly, Interval: 1000, Count: 10000},
			format: "FREQ=WEEKLY;INTERVAL=1000;COUNT=10000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRRULE(tt.in, anAllDayStart, time.UTC)
			if err != nil {
				t.Fatalf("ParseRRULE(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRRULE(%q) = %v, want %v", tt.in, got, tt.want)
			}
			text, err := FormatRRULE(got, anAllDayStart, time.UTC)
			if err != nil || text != tt.format {
				t.Errorf("FormatRRULE(%v) = %q, %v, want %q", got, text, err, tt.format)
			}
			again, err := ParseRRULE(text, anAllDayStart, time.UTC)
			if err != nil || again != got {
				t.Errorf("ParseRRULE(FormatRRULE()) = %v, %v, want %v", again, err, got)
			}
		})
	}
}

func TestFormatRRULEDropsTheAnchor(t *testing.T) {
	r := Rule{Frequency: Daily, Interval: 3, Anchor: AnchorCompletion}
	text, err := FormatRRULE(r, anAllDayStart, time.UTC)
	if err != nil || text != "FREQ=DAILY;INTERVAL=3" {
		t.Fatalf("FormatRRULE(%v) = %q, %v", r, text, err)
	}
	back, err := ParseRRULE(text, anAllDayStart, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	r.Anchor = AnchorDueDate
	if back != r {
		t.Errorf("ParseRRULE(%q) = %v, want %v", text, back, r)
	}
}

func TestParseRRULERejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // each must be in the error
	}{
		{name: "empty", in: "", want: []string{"empty rule"}},
		{name: "prefix alone", in: "RRULE:", want: []string{"empty rule"}},
		{name: "no FREQ", in: "INTERVAL=2", want: []string{"FREQ is required"}},
		{name: "hourly", in: "FREQ=HOURLY", want: []string{"FREQ=HOURLY", "not supported"}},
		{name: "minutely", in: "FREQ=MINUTELY;INTERVAL=5", want: []string{"FREQ=MINUTELY"}},
		{name: "unknown frequency", in: "FREQ=FORTNIGHTLY", want: []string{"FREQ=FORTNIGHTLY", "unknown frequency"}},
		{name: "lowercase value", in: "FREQ=daily", want: []string{"FREQ=daily"}},
		{name: "lowercase name", in: "freq=DAILY", want: []string{"freq=DAILY", "unknown part"}},
		{name: "lowercase junk", in: "FREQ=DAILY;junk", want: []string{`"junk"`, "NAME=VALUE"}},
		{name: "BYSETPOS", in: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", want: []string{"BYSETPOS=-1", "BYSETPOS is not supported"}},
		{name: "BYHOUR", in: "FREQ=DAILY;BYHOUR=9", want: []string{"BYHOUR=9", "not supported"}},
		{name: "BYWEEKNO", in: "FREQ=YEARLY;BYWEEKNO=20", want: []string{"BYWEEKNO=20"}},
		{name: "unknown part", in: "FREQ=DAILY;X-NAME=1", want: []string{"X-NAME=1", "unknown part"}},
		{name: "duplicate part", in: "FREQ=DAILY;INTERVAL=2;INTERVAL=3", want: []string{"INTERVAL=3", "more than once"}},
		{name: "duplicate FREQ", in: "FREQ=DAILY;FREQ=WEEKLY", want: []string{"FREQ=WEEKLY", "more than once"}},
		{name: "trailing semicolon", in: "FREQ=DAILY;", want: []string{"empty part"}},
		{name: "empty value", in: "FREQ=DAILY;COUNT=", want: []string{"COUNT=", "no value"}},
		{name: "space", in: "FREQ=DAILY; COUNT=2", want: []string{`" COUNT=2"`}},
		{name: "prefix twice", in: "RRULE:RRULE:FREQ=DAILY", want: []string{"RRULE:FREQ=DAILY"}},
		{name: "interval 0", in: "FREQ=DAILY;INTERVAL=0", want: []string{"INTERVAL=0", "between 1 and 1000"}},
		{name: "interval 1001", in: "FREQ=DAILY;INTERVAL=1001", want: []string{"INTERVAL=1001"}},
		{name: "negative interval", in: "FREQ=DAILY;INTERVAL=-1", want: []string{"INTERVAL=-1"}},
		{name: "huge interval", in: "FREQ=DAILY;INTERVAL=99999999999999999999", want: []string{"INTERVAL=99999999999999999999"}},
		{name: "BYDAY on daily", in: "FREQ=DAILY;BYDAY=MO", want: []string{"BYDAY=MO", "FREQ=WEEKLY, MONTHLY or YEARLY"}},
		{name: "ordinal on weekly", in: "FREQ=WEEKLY;BYDAY=1MO", want: []string{"BYDAY=1MO", "ordinal"}},
		{name: "repeated weekday", in: "FREQ=WEEKLY;BYDAY=MO,TU,MO", want: []string{"BYDAY=MO,TU,MO", "more than once"}},
		{name: "unknown weekday", in: "FREQ=WEEKLY;BYDAY=MO,XX", want: []string{"BYDAY=MO,XX", `"XX"`}},
		{name: "empty weekday", in: "FREQ=WEEKLY;BYDAY=MO,", want: []string{"BYDAY=MO,", `""`}},
		{name: "lowercase weekday", in: "FREQ=WEEKLY;BYDAY=mo", want: []string{"BYDAY=mo"}},
		{name: "monthly every Friday", in: "FREQ=MONTHLY;BYDAY=FR", want: []string{"BYDAY=FR", "needs an ordinal"}},
		{name: "fifth Monday", in: "FREQ=MONTHLY;BYDAY=5MO", want: []string{"BYDAY=5MO", `ordinal "5"`}},
		{name: "second to last Friday", in: "FREQ=MONTHLY;BYDAY=-2FR", want: []string{"BYDAY=-2FR", `ordinal "-2"`}},
		{name: "ordinal 0", in: "FREQ=MONTHLY;BYDAY=0FR", want: []string{"BYDAY=0FR"}},
		{name: "two ordinal weekdays", in: "FREQ=MONTHLY;BYDAY=1MO,3MO", want: []string{"BYDAY=1MO,3MO", "one BYDAY entry"}},
		{name: "BYMONTHDAY -1", in: "FREQ=MONTHLY;BYMONTHDAY=-1", want: []string{"BYMONTHDAY=-1", "negative BYMONTHDAY"}},
		{name: "two BYMONTHDAY values", in: "FREQ=MONTHLY;BYMONTHDAY=1,15", want: []string{"BYMONTHDAY=1,15", "only one"}},
		{name: "BYMONTHDAY 32", in: "FREQ=MONTHLY;BYMONTHDAY=32", want: []string{"BYMONTHDAY=32", "between 1 and 31"}},
		{name: "BYMONTHDAY 0", in: "FREQ=MONTHLY;BYMONTHDAY=0", want: []string{"BYMONTHDAY=0"}},
		{name: "BYMONTHDAY on weekly", in: "FREQ=WEEKLY;BYMONTHDAY=3", want: []string{"BYMONTHDAY=3", "FREQ=MONTHLY or YEARLY"}},
		{name: "BYMONTHDAY and BYDAY", in: "FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=1FR", want: []string{"BYDAY=1FR", "BYMONTHDAY"}},
		{name: "BYMONTH on monthly", in: "FREQ=MONTHLY;BYMONTH=3", want: []string{"BYMONTH=3", "FREQ=YEARLY"}},
		{name: "two BYMONTH values", in: "FREQ=YEARLY;BYMONTH=3,9", want: []string{"BYMONTH=3,9", "only one"}},
		{name: "BYMONTH 13", in: "FREQ=YEARLY;BYMONTH=13", want: []string{"BYMONTH=13", "between 1 and 12"}},
		{name: "yearly day without month", in: "FREQ=YEARLY;BYMONTHDAY=15", want: []string{"BYMONTH", "FREQ=YEARLY"}},
		{name: "yearly ordinal without month", in: "FREQ=YEARLY;BYDAY=-1FR", want: []string{"needs BYMONTH"}},
		{name: "UNTIL and COUNT", in: "FREQ=DAILY;COUNT=3;UNTIL=20260101", want: []string{"UNTIL=20260101", "UNTIL and COUNT"}},
		{name: "UNTIL with a zone offset", in: "FREQ=DAILY;UNTIL=20260101T120000+0100", want: []string{"UNTIL=20260101T120000+0100", "YYYYMMDDTHHMMSSZ"}},
		{name: "UNTIL Z without a time", in: "FREQ=DAILY;UNTIL=20260101Z", want: []string{"UNTIL=20260101Z", "YYYYMMDDTHHMMSSZ"}},
		{name: "UNTIL lowercase z", in: "FREQ=DAILY;UNTIL=20260101T120000z", want: []string{"UNTIL=20260101T120000z"}},
		{name: "UNTIL short time", in: "FREQ=DAILY;UNTIL=20260101T1200Z", want: []string{"UNTIL=20260101T1200Z"}},
		{name: "UNTIL with dashes", in: "FREQ=DAILY;UNTIL=2026-01-01", want: []string{"UNTIL=2026-01-01"}},
		{name: "UNTIL February 30", in: "FREQ=DAILY;UNTIL=20260230", want: []string{"UNTIL=20260230", "not a valid date"}},
		{name: "UNTIL year 0", in: "FREQ=DAILY;UNTIL=00000101", want: []string{"UNTIL=00000101"}},
		{name: "UNTIL hour 24", in: "FREQ=DAILY;UNTIL=20260101T240000Z", want: []string{"UNTIL=20260101T240000Z", "time of day"}},
		{name: "COUNT 0", in: "FREQ=DAILY;COUNT=0", want: []string{"COUNT=0", "between 1 and 10000"}},
		{name: "COUNT 10001", in: "FREQ=DAILY;COUNT=10001", want: []string{"COUNT=10001"}},
		{name: "WKST=SU", in: "FREQ=WEEKLY;WKST=SU", want: []string{"WKST=SU", "only WKST=MO"}},
		{name: "too long", in: "FREQ=DAILY;" + strings.Repeat("X", 300), want: []string{"longer than 256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRRULE(tt.in, anAllDayStart, time.UTC)
			if err == nil {
				t.Fatalf("ParseRRULE(%q) = %v, want an error", tt.in, got)
			}
			if !errors.Is(err, ErrInvalidRRULE) {
				t.Errorf("errors.Is(%q, ErrInvalidRRULE) = false", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseRRULE(%q) error %q does not mention %q", tt.in, err, w)
				}
			}
		})
	}
}

// mustZone loads an IANA zone or fails the test.
func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestRRULEUntilInTheSeriesZone covers each UNTIL form against each kind of series;
// testdata/rfc5545 checks the same against an independent implementation where it
// accepts the form.
func TestRRULEUntilInTheSeriesZone(t *testing.T) {
	type series struct {
		zone   string
		allDay bool
		start  string // 2006-01-02T15:04:05.999999999 in zone, or a date for all-day
	}
	paris0230 := series{zone: "Europe/Paris", start: "2026-03-26T02:30:00"}
	ny2300 := series{zone: "America/New_York", start: "2026-03-06T23:00:00"}
	ny1800 := series{zone: "America/New_York", start: "2026-03-06T18:00:00"}
	nyAllDay := series{zone: "America/New_York", allDay: true, start: "2026-03-06"}
	tests := []struct {
		name   string
		series series
		in     string // parsed into want
		want   Date   // Until
		format string // FormatRRULE of the parsed rule
	}{
		{
			name:   "issue 9: a timed series exports the last second of its Until day in UTC",
			series: paris0230, in: "FREQ=DAILY;UNTIL=20260330T215959Z",
			want: date(2026, 3, 30), format: "FREQ=DAILY;UNTIL=20260330T215959Z",
		},
		{
			name:   "a date on a timed series, as the old export wrote it, is that day inclusive",
			series: paris0230, in: "FREQ=DAILY;UNTIL=20260330",
			want: date(2026, 3, 30), format: "FREQ=DAILY;UNTIL=20260330T215959Z",
		},
		{
			name:   "issue 9: UTC instant at the end of 9 March in New York is 9 March",
			series: ny2300, in: "FREQ=DAILY;UNTIL=20260310T035959Z",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260310T035959Z",
		},
		{
			name:   "an instant before that day's occurrence ends the day before",
			series: ny1800, in: "FREQ=DAILY;UNTIL=20260310T215959Z",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260310T035959Z",
		},
		{
			name:   "an instant at that day's occurrence keeps it",
			series: ny1800, in: "FREQ=DAILY;UNTIL=20260310T220000Z",
			want: date(2026, 3, 10), format: "FREQ=DAILY;UNTIL=20260311T035959Z",
		},
		{
			name:   "a floating time is read in the series zone",
			series: ny1800, in: "FREQ=DAILY;UNTIL=20260310T175959",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260310T035959Z",
		},
		{
			name:   "a floating time at the occurrence keeps it",
			series: ny1800, in: "FREQ=DAILY;UNTIL=20260310T180000",
			want: date(2026, 3, 10), format: "FREQ=DAILY;UNTIL=20260311T035959Z",
		},
		{
			name:   "a leap second is the second before",
			series: ny2300, in: "FREQ=DAILY;UNTIL=20260310T035960Z",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260310T035959Z",
		},
		{
			name:   "a fraction of a second in the start does not lose the last day",
			series: series{zone: "America/New_York", start: "2026-03-06T23:59:59.75"}, in: "FREQ=DAILY;UNTIL=20260310T035959Z",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260310T035959Z",
		},
		{
			name:   "all-day: a UTC instant is its day in the zone",
			series: nyAllDay, in: "FREQ=DAILY;UNTIL=20260310T035959Z",
			want: date(2026, 3, 9), format: "FREQ=DAILY;UNTIL=20260309",
		},
		{
			name:   "all-day: a floating time is its day",
			series: nyAllDay, in: "FREQ=DAILY;UNTIL=20260310T000000",
			want: date(2026, 3, 10), format: "FREQ=DAILY;UNTIL=20260310",
		},
		{
			name:   "the next day starts after a gap at midnight",
			series: series{zone: "America/Santiago", start: "2026-09-01T12:00:00"}, in: "FREQ=DAILY;UNTIL=20260905",
			want: date(2026, 9, 5), format: "FREQ=DAILY;UNTIL=20260906T035959Z",
		},
		{
			name:   "the last day west of UTC is written as the last instant",
			series: series{zone: "America/New_York", start: "2026-03-06T20:00:00"}, in: "FREQ=DAILY;UNTIL=99991231",
			want: date(9999, 12, 31), format: "FREQ=DAILY;UNTIL=99991231T235959Z",
		},
		{
			name:   "the last instant east of UTC is the last day",
			series: series{zone: "Australia/Sydney", allDay: true, start: "2026-03-06"}, in: "FREQ=DAILY;UNTIL=99991231T235959Z",
			want: date(9999, 12, 31), format: "FREQ=DAILY;UNTIL=99991231",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.series.zone)
			var start Occurrence
			if tt.series.allDay {
				d, err := time.Parse(time.DateOnly, tt.series.start)
				if err != nil {
					t.Fatal(err)
				}
				start = OnDate(date(d.Year(), int(d.Month()), d.Day()))
			} else {
				at, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", tt.series.start, loc)
				if err != nil {
					t.Fatal(err)
				}
				start = AtTime(at)
			}
			got, err := ParseRRULE(tt.in, start, loc)
			if err != nil {
				t.Fatalf("ParseRRULE(%q): %v", tt.in, err)
			}
			if got.Until != tt.want {
				t.Errorf("ParseRRULE(%q).Until = %v, want %v", tt.in, got.Until, tt.want)
			}
			text, err := FormatRRULE(got, start, loc)
			if err != nil || text != tt.format {
				t.Errorf("FormatRRULE(%v) = %q, %v, want %q", got, text, err, tt.format)
			}
			back, err := ParseRRULE(text, start, loc)
			if err != nil || back != got {
				t.Errorf("ParseRRULE(%q) = %v, %v, want %v", text, back, err, got)
			}
		})
	}
}

func TestParseRRULEUntilBeforeYear1(t *testing.T) {
	start := AtTime(time.Date(2026, 3, 6, 9, 0, 0, 0, mustZone(t, "America/New_York")))
	_, err := ParseRRULE("FREQ=DAILY;UNTIL=00010101T000000Z", start, start.At.Location())
	if !errors.Is(err, ErrInvalidRRULE) || !strings.Contains(err.Error(), "UNTIL=00010101T000000Z") {
		t.Fatalf("ParseRRULE = %v, want an ErrInvalidRRULE naming UNTIL", err)
	}
}

func TestRRULEBadSeries(t *testing.T) {
	rule := Rule{Frequency: Daily, Interval: 1}
	tests := []struct {
		name  string
		start Occurrence
		loc   *time.Location
		want  string
	}{
		{name: "nil zone", start: anAllDayStart, want: "time zone"},
		{name: "no start", loc: time.UTC, want: "neither"},
		{name: "both kinds", start: Occurrence{At: time.Now(), Date: date(2026, 1, 1)}, loc: time.UTC, want: "both"},
		{name: "February 30", start: OnDate(date(2026, 2, 30)), loc: time.UTC, want: "2026-02-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRRULE("FREQ=DAILY", tt.start, tt.loc)
			if err == nil || errors.Is(err, ErrInvalidRRULE) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRRULE error = %v, want one about %q that is not ErrInvalidRRULE", err, tt.want)
			}
			if _, err := FormatRRULE(rule, tt.start, tt.loc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FormatRRULE error = %v, want one about %q", err, tt.want)
			}
		})
	}
}

func TestFormatRRULERejects(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want string
	}{
		{name: "invalid rule", rule: Rule{Frequency: Daily}, want: "interval"},
		{name: "yearly day without month", rule: Rule{Frequency: Yearly, Interval: 1, DayOfMonth: 15}, want: "no month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := FormatRRULE(tt.rule, anAllDayStart, time.UTC)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FormatRRULE(%v) = %q, %v, want an error about %q", tt.rule, text, err, tt.want)
			}
		})
	}
}
