package recurrence

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits of a Rule and of the series it describes.
const (
	// MaxInterval is the largest Rule.Interval.
	MaxInterval = 1000
	// MaxCount is the largest Rule.Count, and the most occurrences Occurrences returns.
	MaxCount = 10000
)

// Frequency is the unit a Rule repeats in. The zero value is invalid.
type Frequency int

// The frequencies.
const (
	// Daily repeats every Interval days.
	Daily Frequency = iota + 1
	// Weekly repeats on Weekdays of every Interval-th week.
	Weekly
	// Monthly repeats on one day of every Interval-th month.
	Monthly
	// Yearly repeats on one day of Month of every Interval-th year.
	Yearly
)

// String returns the lowercase name of f ("daily"), or "Frequency(n)" for an invalid f.
func (f Frequency) String() string {
	switch f {
	case Daily:
		return "daily"
	case Weekly:
		return "weekly"
	case Monthly:
		return "monthly"
	case Yearly:
		return "yearly"
	}
	return fmt.Sprintf("Frequency(%d)", int(f))
}

// Anchor says what the next occurrence is counted from (see the package doc). The zero
// value is AnchorDueDate.
type Anchor int

// The anchors.
const (
	// AnchorDueDate counts the next occurrence from the due day of the current one.
	AnchorDueDate Anchor = iota
	// AnchorCompletion counts the next occurrence from the day the current one was
	// completed.
	AnchorCompletion
)

// String returns "due_date", "completion" or "Anchor(n)" for an invalid a.
func (a Anchor) String() string {
	switch a {
	case AnchorDueDate:
		return "due_date"
	case AnchorCompletion:
		return "completion"
	}
	return fmt.Sprintf("Anchor(%d)", int(a))
}

// WeekdaySet is a set of days of the week: bit d is set when time.Weekday d is in it.
// The zero value is the empty set. Only the low 7 bits may be set.
type WeekdaySet uint8

// Weekdays returns the set of the given days. Days outside Sunday..Saturday are left
// out.
func Weekdays(days ...time.Weekday) WeekdaySet {
	var s WeekdaySet
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			s |= 1 << uint(d)
		}
	}
	return s
}

// Has reports whether d is in s.
func (s WeekdaySet) Has(d time.Weekday) bool {
	return d >= time.Sunday && d <= time.Saturday && s&(1<<uint(d)) != 0
}

// Days returns the days in s, Monday first and Sunday last (the week starts on Monday).
func (s WeekdaySet) Days() []time.Weekday {
	var out []time.Weekday
	for i := range 7 {
		d := time.Weekday((i + 1) % 7)
		if s.Has(d) {
			out = append(out, d)
		}
	}
	return out
}

// NthWeekday is "the Nth Weekday of the month": N is 1 to 4 for the first to the fourth,
// -1 for the last. The zero value (N == 0, Weekday == Sunday) means unset.
type NthWeekday struct {
	N       int
	Weekday time.Weekday
}

// IsZero reports whether n is unset.
func (n NthWeekday) IsZero() bool { return n == NthWeekday{} }

// Date is a calendar day with no time and no zone of its own; it is read in the user's
// zone. The zero value means unset.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String returns d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// check returns nil when d is a real day of years 1 to 9999, else what is wrong.
func (d Date) check() error {
	if d.Year < 1 || d.Year > 9999 {
		return fmt.Errorf("year %d is outside 1 to 9999", d.Year)
	}
	if d.Month < time.January || d.Month > time.December {
		return fmt.Errorf("month %d is outside 1 to 12", int(d.Month))
	}
	if d.Day < 1 || d.Day > daysIn(d.Year, d.Month) {
		return fmt.Errorf("%s is not a day of the calendar", d)
	}
	return nil
}

// Rule says how a task repeats. The zero value is invalid (no Frequency, Interval 0);
// see Validate for what is valid and the package doc for what a rule means.
type Rule struct {
	// Frequency is the unit of repetition; required.
	Frequency Frequency
	// Interval repeats every Interval units, 1 to MaxInterval.
	Interval int
	// Weekdays are the days of the week of a weekly rule; empty means the start's
	// weekday. Only weekly rules may set it.
	Weekdays WeekdaySet
	// DayOfMonth is the day, 1 to 31, of a monthly or yearly rule, clamped to the last
	// day of shorter months; 0 means unset. At most one of DayOfMonth and NthWeekday is
	// set; with neither, the start's day of the month is used.
	DayOfMonth int
	// NthWeekday is the weekday of a monthly or yearly rule ("the last Friday").
	NthWeekday NthWeekday
	// Month is the month of a yearly rule; 0 means the start's month. Only yearly rules
	// may set it.
	Month time.Month
	// Until, when set, is the last day (inclusive, in the user's zone) an occurrence may
	// fall on. At most one of Until and Count is set; with neither the series never ends.
	Until Date
	// Count, when not 0, is the number of occurrences in all, the start included, 1 to
	// MaxCount.
	Count int
	// Anchor says what the next occurrence is counted from.
	Anchor Anchor
}

// FieldError says that one field of a Rule is invalid. Field is the field's path in
// the protobuf RecurrenceRule ("interval", "nth_weekday.n", "weekdays[2]"); Message is
// a sentence for the user that starts with the field's name ("interval must be between
// 1 and 1000, not 0"). Validate, FromProto, Occurrences and Next return it (wrapped or
// not); find it with errors.As, or test for ErrInvalidRule with errors.Is.
type FieldError struct {
	Field   string
	Message string
}

// Error returns "invalid recurrence rule: " and the Message.
func (e *FieldError) Error() string {
	return "invalid recurrence rule: " + e.Message
}

// Is makes errors.Is(err, ErrInvalidRule) true for a FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRule }

// ErrInvalidRule matches, with errors.Is, every *FieldError.
var ErrInvalidRule = errors.New("invalid recurrence rule")

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: field + " " + fmt.Sprintf(format, args...)}
}

// Validate returns nil when r is a valid rule, or else a *FieldError naming the first
// invalid field:
//
//   - frequency must be daily, weekly, monthly or yearly;
//   - interval must be between 1 and 1000;
//   - weekdays only for weekly rules, and only Sunday..Saturday;
//   - day_of_month between 1 and 31 (or 0), and nth_weekday (n 1 to 4 or -1, a weekday
//     Sunday..Saturday), only for monthly and yearly rules and not both;
//   - month between 1 and 12 (or 0), only for yearly rules;
//   - until a real calendar day of years 1 to 9999, count between 1 and 10000 (or 0),
//     and not both;
//   - anchor AnchorDueDate or AnchorCompletion.
//
// Fields that a frequency does not use must be left unset rather than be ignored, so
// that a rule never silently means something else than it says.
func (r Rule) Validate() error {
	if r.Frequency < Daily || r.Frequency > Yearly {
		return fieldErr("frequency", "must be daily, weekly, monthly or yearly, not %d", int(r.Frequency))
	}
	if r.Interval < 1 || r.Interval > MaxInterval {
		return fieldErr("interval", "must be between 1 and %d, not %d", MaxInterval, r.Interval)
	}
	if r.Weekdays != 0 {
		if r.Frequency != Weekly {
			return fieldErr("weekdays", "is only allowed for weekly rules, not %s ones", r.Frequency)
		}
		if r.Weekdays&^0x7f != 0 {
			return fieldErr("weekdays", "holds a day outside Sunday to Saturday (set 0x%02x)", uint8(r.Weekdays))
		}
	}
	monthly := r.Frequency == Monthly || r.Frequency == Yearly
	if r.DayOfMonth != 0 {
		if !monthly {
			return fieldErr("day_of_month", "is only allowed for monthly and yearly rules, not %s ones", r.Frequency)
		}
		if r.DayOfMonth < 1 || r.DayOfMonth > 31 {
			return fieldErr("day_of_month", "must be between 1 and 31, not %d", r.DayOfMonth)
		}
	}
	if !r.NthWeekday.IsZero() {
		if !monthly {
			return fieldErr("nth_weekday", "is only allowed for monthly and yearly rules, not %s ones", r.Frequency)
		}
		if n := r.NthWeekday.N; n != -1 && (n < 1 || n > 4) {
			return fieldErr("nth_weekday.n", "must be 1, 2, 3, 4 or -1 (last), not %d", n)
		}
		if w := r.NthWeekday.Weekday; w < time.Sunday || w > time.Saturday {
			return fieldErr("nth_weekday.weekday", "must be Sunday to Saturday, not %d", int(w))
		}
		if r.DayOfMonth != 0 {
			return fieldErr("day_of_month", "and nth_weekday cannot both be set")
		}
	}
	if r.Month != 0 {
		if r.Frequency != Yearly {
			return fieldErr("month", "is only allowed for yearly rules, not %s ones", r.Frequency)
		}
		if r.Month < time.January || r.Month > time.December {
			return fieldErr("month", "must be between 1 and 12, not %d", int(r.Month))
		}
	}
	if !r.Until.IsZero() {
		if err := r.Until.check(); err != nil {
			return fieldErr("until", "is not a valid date: %v", err)
		}
		if r.Count != 0 {
			return fieldErr("count", "and until cannot both be set")
		}
	}
	if r.Count != 0 && (r.Count < 1 || r.Count > MaxCount) {
		return fieldErr("count", "must be between 1 and %d, not %d", MaxCount, r.Count)
	}
	if r.Anchor != AnchorDueDate && r.Anchor != AnchorCompletion {
		return fieldErr("anchor", "must be due_date or completion, not %d", int(r.Anchor))
	}
	return nil
}

// String describes r briefly for logs and test failures, e.g.
// "weekly/2 on Mon,Thu until 2026-06-30".
func (r Rule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%d", r.Frequency, r.Interval)
	if r.Weekdays != 0 {
		var names []string
		for _, d := range r.Weekdays.Days() {
			names = append(names, d.String()[:3])
		}
		b.WriteString(" on " + strings.Join(names, ","))
	}
	if r.Month != 0 {
		fmt.Fprintf(&b, " in %s", r.Month)
	}
	if r.DayOfMonth != 0 {
		fmt.Fprintf(&b, " day %d", r.DayOfMonth)
	}
	if !r.NthWeekday.IsZero() {
		fmt.Fprintf(&b, " nth %d %s", r.NthWeekday.N, r.NthWeekday.Weekday)
	}
	if !r.Until.IsZero() {
		fmt.Fprintf(&b, " until %s", r.Until)
	}
	if r.Count != 0 {
		fmt.Fprintf(&b, " count %d", r.Count)
	}
	if r.Anchor != AnchorDueDate {
		fmt.Fprintf(&b, " anchor %s", r.Anchor)
	}
	return b.String()
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
