package recurrence

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidRRULE matches, with errors.Is, every error of ParseRRULE.
var ErrInvalidRRULE = errors.New("invalid RRULE")

// maxRRULELen bounds ParseRRULE's input; every rule of the subset is far shorter.
const maxRRULELen = 256

// The two-letter weekday codes of RFC 5545, indexed by time.Weekday.
var weekdayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// Rule parts of RFC 5545 that this package does not support, to name them as such
// rather than as unknown.
var unsupportedParts = map[string]bool{
	"BYSECOND": true, "BYMINUTE": true, "BYHOUR": true, "BYYEARDAY": true,
	"BYWEEKNO": true, "BYSETPOS": true, "RSCALE": true, "SKIP": true,
}

// ParseRRULE reads an RFC 5545 recurrence rule (the value of an RRULE property, with or
// without the leading "RRULE:") into a Rule with AnchorDueDate, the only anchor RRULE
// can express, for the series that starts at start in loc (the DTSTART of the rule,
// with loc as its TZID). The series is needed to read UNTIL, which RFC 5545 gives as
// an instant while Rule.Until is a day in loc. It accepts exactly this subset, with
// names and values in uppercase and parts separated by ";" in any order, each at most
// once:
//
//   - FREQ=DAILY, WEEKLY, MONTHLY or YEARLY (required);
//   - INTERVAL=1 to 1000 (default 1);
//   - BYDAY: for WEEKLY, a list of plain weekdays (BYDAY=MO,TH); for MONTHLY and
//     YEARLY, one weekday with an ordinal 1 to 4 or -1 (BYDAY=-1FR, BYDAY=2TU);
//   - BYMONTHDAY=1 to 31, one value, for MONTHLY and YEARLY;
//   - BYMONTH=1 to 12, one value, for YEARLY;
//   - UNTIL, as a UTC date-time YYYYMMDDTHHMMSSZ, a date YYYYMMDD, or a floating
//     date-time YYYYMMDDTHHMMSS (see below);
//   - COUNT=1 to 10000, not with UNTIL;
//   - WKST=MO.
//
// UNTIL bounds the series inclusively, and Until becomes the day, in loc, of the last
// occurrence that UNTIL lets through:
//
//   - YYYYMMDDTHHMMSSZ, the form RFC 5545 requires for a timed series with a zone, is
//     an instant. Until is its day in loc, or the day before when the series'
//     occurrence on that day (at the start's time of day, seconds truncated as
//     RFC 5545 date-times are) falls after it. For New York,
//     UNTIL=20260310T035959Z is 23:59:59 on 9 March, so Until is 9 March.
//   - YYYYMMDDTHHMMSS (floating) is read as a wall-clock time in loc, then as above.
//   - YYYYMMDD is the form RFC 5545 requires for an all-day series, and Until is that
//     day. RFC 5545 forbids it for a timed series and readers disagree on it (some
//     refuse it, some read it as midnight and so drop that day's occurrence); here it
//     is read as the last day, inclusive, as a person who writes a date means it.
//
// For an all-day series a date-time UNTIL gives its day in loc. A day after
// 9999-12-31 in loc reads as 9999-12-31, the last day a series reaches anyway.
//
// A YEARLY rule with BYDAY or BYMONTHDAY must also have BYMONTH: without it RFC 5545
// repeats the day in every month (or counts the ordinal in the year), which a Rule
// cannot say.
//
// Everything else is rejected with an error that wraps ErrInvalidRRULE and quotes the
// offending part: other frequencies, BYSETPOS, BYHOUR and the other BYxxx parts,
// negative or several BYMONTHDAY values, ordinals such as 5MO or -2FR, both UNTIL and
// COUNT, an UNTIL whose day in loc is before year 1, unknown or repeated parts,
// lowercase text, empty parts. A rule is never half-read. A nil loc or a start that is
// not exactly one of a moment and a valid Date of years 1 to 9999 is the caller's
// mistake: that error does not wrap ErrInvalidRRULE.
//
// One meaning differs from RFC 5545 on purpose: a day of the month that a month lacks
// is clamped to the month's last day (BYMONTHDAY=31 falls on April 30; a yearly rule
// from February 29 falls on February 28 in common years), where RFC 5545 skips the
// month or year.
func ParseRRULE(s string, start Occurrence, loc *time.Location) (Rule, error) {
	if err := checkSeries(start, loc); err != nil {
		return Rule{}, fmt.Errorf("recurrence: parse RRULE: %w", err)
	}
	if len(s) > maxRRULELen {
		return Rule{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidRRULE, maxRRULELen)
	}
	body := strings.TrimPrefix(s, "RRULE:")
	if body == "" {
		return Rule{}, fmt.Errorf("%w: empty rule", ErrInvalidRRULE)
	}
	values := map[string]string{}
	raws := map[string]string{}
	for raw := range strings.SplitSeq(body, ";") {
		if raw == "" {
			return Rule{}, fmt.Errorf("%w: empty part (a stray %q) in %s", ErrInvalidRRULE, ";", quote(body))
		}
		key, val, found := strings.Cut(raw, "=")
		if !found {
			return Rule{}, partErr(raw, "not of the form NAME=VALUE")
		}
		switch key {
		case "FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "UNTIL", "COUNT", "WKST":
		default:
			if unsupportedParts[key] {
				return Rule{}, partErr(raw, "%s is not supported", key)
			}
			return Rule{}, partErr(raw, "unknown part %s (names are uppercase)", quote(key))
		}
		if _, dup := values[key]; dup {
			return Rule{}, partErr(raw, "%s appears more than once", key)
		}
		if val == "" {
			return Rule{}, partErr(raw, "%s has no value", key)
		}
		values[key], raws[key] = val, raw
	}

	r := Rule{Interval: 1}
	freq, ok := values["FREQ"]
	if !ok {
		return Rule{}, fmt.Errorf("%w: FREQ is required", ErrInvalidRRULE)
	}
	switch freq {
	case "DAILY":
		r.Frequency = Daily
	case "WEEKLY":
		r.Frequency = Weekly
	case "MONTHLY":
		r.Frequency = Monthly
	case "YEARLY":
		r.Frequency = Yearly
	case "SECONDLY", "MINUTELY", "HOURLY":
		return Rule{}, partErr(raws["FREQ"], "FREQ=%s is not supported (only DAILY, WEEKLY, MONTHLY and YEARLY)", freq)
	default:
		return Rule{}, partErr(raws["FREQ"], "unknown frequency (want DAILY, WEEKLY, MONTHLY or YEARLY)")
	}

	var err error
	if v, ok := values["INTERVAL"]; ok {
		if r.Interval, err = parseNumber(v, 1, MaxInterval); err != nil {
			return Rule{}, partErr(raws["INTERVAL"], "INTERVAL %v", err)
		}
	}
	if v, ok := values["WKST"]; ok && v != "MO" {
		return Rule{}, partErr(raws["WKST"], "only WKST=MO (weeks start on Monday) is supported")
	}
	if v, ok := values["BYMONTH"]; ok {
		if r.Frequency != Yearly {
			return Rule{}, partErr(raws["BYMONTH"], "BYMONTH is only supported with FREQ=YEARLY")
		}
		if strings.Contains(v, ",") {
			return Rule{}, partErr(raws["BYMONTH"], "only one BYMONTH value is supported")
		}
		m, err := parseNumber(v, 1, 12)
		if err != nil {
			return Rule{}, partErr(raws["BYMONTH"], "BYMONTH %v", err)
		}
		r.Month = time.Month(m)
	}
	if v, ok := values["BYMONTHDAY"]; ok {
		switch {
		case r.Frequency != Monthly && r.Frequency != Yearly:
			return Rule{}, partErr(raws["BYMONTHDAY"], "BYMONTHDAY is only supported with FREQ=MONTHLY or YEARLY")
		case strings.HasPrefix(v, "-"):
			return Rule{}, partErr(raws["BYMONTHDAY"], "negative BYMONTHDAY (counting from the month's end) is not supported")
		case strings.Contains(v, ","):
			return Rule{}, partErr(raws["BYMONTHDAY"], "only one BYMONTHDAY value is supported")
		}
		if r.DayOfMonth, err = parseNumber(v, 1, 31); err != nil {
			return Rule{}, partErr(raws["BYMONTHDAY"], "BYMONTHDAY %v", err)
		}
	}
	if v, ok := values["BYDAY"]; ok {
		if err := parseByDay(&r, v); err != nil {
			return Rule{}, partErr(raws["BYDAY"], "%v", err)
		}
		if r.DayOfMonth != 0 {
			return Rule{}, partErr(raws["BYDAY"], "BYDAY and BYMONTHDAY together are not supported")
		}
	}
	if r.Frequency == Yearly && r.Month == 0 && (r.DayOfMonth != 0 || !r.NthWeekday.IsZero()) {
		return Rule{}, fmt.Errorf("%w: FREQ=YEARLY with BYDAY or BYMONTHDAY needs BYMONTH (RFC 5545 would repeat it in every month)", ErrInvalidRRULE)
	}
	if v, ok := values["UNTIL"]; ok {
		if _, both := values["COUNT"]; both {
			return Rule{}, partErr(raws["UNTIL"], "UNTIL and COUNT together are not allowed")
		}
		u, err := parseUntil(v)
		if err != nil {
			return Rule{}, partErr(raws["UNTIL"], "%v", err)
		}
		if r.Until, err = u.lastDay(start, loc); err != nil {
			return Rule{}, partErr(raws["UNTIL"], "%v", err)
		}
	}
	if v, ok := values["COUNT"]; ok {
		if r.Count, err = parseNumber(v, 1, MaxCount); err != nil {
			return Rule{}, partErr(raws["COUNT"], "COUNT %v", err)
		}
	}
	if err := r.Validate(); err != nil {
		return Rule{}, fmt.Errorf("%w: %w", ErrInvalidRRULE, err)
	}
	return r, nil
}

// FormatRRULE returns r as the value of an RFC 5545 RRULE property, without the
// "RRULE:" prefix, for the series that starts at start in loc, in the subset that
// ParseRRULE reads: FREQ, then INTERVAL (when not 1), BYMONTH, BYMONTHDAY, BYDAY
// (weekdays Monday first), UNTIL and COUNT. The text means the series to an RFC 5545
// reader given DTSTART at start (with TZID loc for a moment, VALUE=DATE for a Date).
//
// UNTIL takes the form RFC 5545 requires for that DTSTART: for an all-day series the
// date (UNTIL=20260330); for a timed series the last second of the Until day in loc,
// in UTC (Until 2026-03-30 in Europe/Paris is UNTIL=20260330T215959Z), so that the
// Until day's occurrence is kept. A last second after 9999-12-31T23:59:59Z is written
// as that instant, the last one a series reaches anyway.
//
// ParseRRULE(FormatRRULE(r, start, loc), start, loc) returns r for every valid rule
// with AnchorDueDate. The anchor is not expressible in RRULE and is left out: a rule
// with AnchorCompletion comes back with AnchorDueDate. Note that RFC 5545 skips,
// rather than clamps, days a month lacks (see ParseRRULE), and that an occurrence
// with a fraction of a second in the Until day's last second lies after UNTIL for a
// reader that keeps the fraction (RFC 5545 date-times have none).
//
// It returns an error when r is invalid (a *FieldError, see Rule.Validate), when r is
// a yearly rule with a day but no month, which RRULE cannot express (set Month
// first), when loc is nil, or when start is not exactly one of a moment and a valid
// Date of years 1 to 9999.
func FormatRRULE(r Rule, start Occurrence, loc *time.Location) (string, error) {
	if err := r.Validate(); err != nil {
		return "", fmt.Errorf("recurrence: format RRULE: %w", err)
	}
	if err := checkSeries(start, loc); err != nil {
		return "", fmt.Errorf("recurrence: format RRULE: %w", err)
	}
	if r.Frequency == Yearly && r.Month == 0 && (r.DayOfMonth != 0 || !r.NthWeekday.IsZero()) {
		return "", errors.New("recurrence: format RRULE: a yearly rule with a day but no month cannot be written as RRULE (it would repeat in every month)")
	}
	var b strings.Builder
	b.WriteString("FREQ=")
	b.WriteString(strings.ToUpper(r.Frequency.String()))
	if r.Interval != 1 {
		fmt.Fprintf(&b, ";INTERVAL=%d", r.Interval)
	}
	if r.Month != 0 {
		fmt.Fprintf(&b, ";BYMONTH=%d", int(r.Month))
	}
	if r.DayOfMonth != 0 {
		fmt.Fprintf(&b, ";BYMONTHDAY=%d", r.DayOfMonth)
	}
	if !r.NthWeekday.IsZero() {
		fmt.Fprintf(&b, ";BYDAY=%d%s", r.NthWeekday.N, weekdayCodes[r.NthWeekday.Weekday])
	}
	if r.Weekdays != 0 {
		b.WriteString(";BYDAY=")
		for i, d := range r.Weekdays.Days() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(weekdayCodes[d])
		}
	}
	if !r.Until.IsZero() {
		b.WriteString(";UNTIL=")
		if start.AllDay() {
			fmt.Fprintf(&b, "%04d%02d%02d", r.Until.Year, int(r.Until.Month), r.Until.Day)
		} else {
			// The day after Until begins at its first instant, midnight or, when
			// midnight falls in a daylight-saving gap, the end of the gap.
			last := wallTime(dateOf(dayNumber(r.Until)+1), clock{}, loc).Add(-time.Second)
			if last.After(maxUntil) {
				last = maxUntil
			}
			b.WriteString(last.UTC().Format(utcDateTime))
		}
	}
	if r.Count != 0 {
		fmt.Fprintf(&b, ";COUNT=%d", r.Count)
	}
	return b.String(), nil
}

// utcDateTime is the layout of an RFC 5545 DATE-TIME in UTC.
const utcDateTime = "20060102T150405Z"

// maxUntil is the last instant UNTIL can name that this package computes up to.
var maxUntil = maxMoment.Truncate(time.Second)

// checkSeries returns nil when start and loc make a series.
func checkSeries(start Occurrence, loc *time.Location) error {
	if loc == nil {
		return errors.New("the time zone (loc) is nil")
	}
	if err := start.check(loc); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	return nil
}

// parseByDay reads a BYDAY value into r, whose Frequency is set.
func parseByDay(r *Rule, v string) error {
	if r.Frequency != Weekly && r.Frequency != Monthly && r.Frequency != Yearly {
		return errors.New("BYDAY is only supported with FREQ=WEEKLY, MONTHLY or YEARLY")
	}
	items := strings.Split(v, ",")
	for _, item := range items {
		if len(item) < 2 {
			return fmt.Errorf("BYDAY entry %s is not a weekday such as MO or -1FR", quote(item))
		}
		ord, code := item[:len(item)-2], item[len(item)-2:]
		day := -1
		for d, c := range weekdayCodes {
			if c == code {
				day = d
			}
		}
		if day < 0 {
			return fmt.Errorf("BYDAY entry %s: unknown weekday %s (want MO, TU, WE, TH, FR, SA or SU)", quote(item), quote(code))
		}
		if r.Frequency == Weekly {
			if ord != "" {
				return fmt.Errorf("BYDAY entry %s: an ordinal is only supported with FREQ=MONTHLY or YEARLY", quote(item))
			}
			if r.Weekdays.Has(time.Weekday(day)) {
				return fmt.Errorf("BYDAY entry %s appears more than once", quote(item))
			}
			r.Weekdays |= Weekdays(time.Weekday(day))
			continue
		}
		if len(items) > 1 {
			return fmt.Errorf("FREQ=%s supports one BYDAY entry, not %d", strings.ToUpper(r.Frequency.String()), len(items))
		}
		if ord == "" {
			return fmt.Errorf("BYDAY entry %s: FREQ=%s needs an ordinal, such as 1%s or -1%s", quote(item), strings.ToUpper(r.Frequency.String()), code, code)
		}
		var n int
		switch ord {
		case "1", "+1", "2", "+2", "3", "+3", "4", "+4":
			n = int(ord[len(ord)-1] - '0')
		case "-1":
			n = -1
		default:
			return fmt.Errorf("BYDAY entry %s: ordinal %s is not supported (1 to 4, or -1 for the last)", quote(item), quote(ord))
		}
		r.NthWeekday = NthWeekday{N: n, Weekday: time.Weekday(day)}
	}
	return nil
}

// until is an UNTIL value: a date, or a date-time in UTC or floating.
type until struct {
	date  Date
	timed bool
	utc   bool
	clock clock
}

// parseUntil reads YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ.
func parseUntil(v string) (until, error) {
	date, rest := v, ""
	if len(v) > 8 {
		date, rest = v[:8], v[8:]
	}
	rest, utc := strings.CutSuffix(rest, "Z")
	if len(date) != 8 || !allDigits(date) || (rest != "" && (len(rest) != 7 || rest[0] != 'T' || !allDigits(rest[1:]))) || (utc && rest == "") {
		return until{}, errors.New("UNTIL must be a UTC date-time YYYYMMDDTHHMMSSZ, a date YYYYMMDD or a local date-time YYYYMMDDTHHMMSS")
	}
	y, _ := strconv.Atoi(date[:4])
	m, _ := strconv.Atoi(date[4:6])
	d, _ := strconv.Atoi(date[6:8])
	u := until{date: Date{y, time.Month(m), d}, timed: rest != "", utc: utc}
	if err := u.date.check(); err != nil {
		return until{}, fmt.Errorf("UNTIL is not a valid date: %w", err)
	}
	if u.timed {
		h, _ := strconv.Atoi(rest[1:3])
		mi, _ := strconv.Atoi(rest[3:5])
		s, _ := strconv.Atoi(rest[5:7])
		if h > 23 || mi > 59 || s > 60 {
			return until{}, fmt.Errorf("UNTIL time %s is not a time of day", rest[1:])
		}
		// A leap second (60) bounds the same occurrences as the second before it.
		u.clock = clock{h: h, m: mi, s: min(s, 59)}
	}
	return u, nil
}

// lastDay returns the Until of the series that starts at start in loc (both checked)
// and ends at u: see ParseRRULE.
func (u until) lastDay(start Occurrence, loc *time.Location) (Date, error) {
	if !u.timed {
		return u.date, nil
	}
	var at time.Time
	if u.utc {
		at = time.Date(u.date.Year, u.date.Month, u.date.Day, u.clock.h, u.clock.m, u.clock.s, 0, time.UTC)
	} else {
		at = wallTime(u.date, u.clock, loc)
	}
	day := dayNumber(localDate(at, loc))
	if day > maxDay {
		return dateOf(maxDay), nil
	}
	if !start.AllDay() {
		// The series' occurrence on that day, as RFC 5545 would write it (whole
		// seconds). If a daylight-saving gap pushed it to the next day, the day
		// comparison of Until leaves it out already; past maxMoment it never happens.
		t := start.At.In(loc)
		h, m, s := t.Clock()
		o := wallTime(dateOf(day), clock{h, m, s, 0}, loc)
		if dayNumber(localDate(o, loc)) == day && o.After(at) && !o.After(maxMoment) {
			day--
		}
	}
	d := dateOf(day)
	if err := d.check(); err != nil {
		return Date{}, fmt.Errorf("UNTIL is before the first day of the series' calendar in %s: %w", loc, err)
	}
	return d, nil
}

// parseNumber reads a decimal number of at most 6 digits, no sign, between lo and hi.
func parseNumber(v string, lo, hi int) (int, error) {
	if len(v) > 6 || !allDigits(v) {
		return 0, fmt.Errorf("must be a number between %d and %d", lo, hi)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be between %d and %d", lo, hi)
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// partErr returns an ErrInvalidRRULE error about one part of the rule.
func partErr(part, format string, args ...any) error {
	return fmt.Errorf("%w: part %s: %s", ErrInvalidRRULE, quote(part), fmt.Sprintf(format, args...))
}

// quote returns s quoted, cut to 64 bytes.
func quote(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}
