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
// can express. It accepts exactly this subset, with names and values in uppercase and
// parts separated by ";" in any order, each at most once:
//
//   - FREQ=DAILY, WEEKLY, MONTHLY or YEARLY (required);
//   - INTERVAL=1 to 1000 (default 1);
//   - BYDAY: for WEEKLY, a list of plain weekdays (BYDAY=MO,TH); for MONTHLY and
//     YEARLY, one weekday with an ordinal 1 to 4 or -1 (BYDAY=-1FR, BYDAY=2TU);
//   - BYMONTHDAY=1 to 31, one value, for MONTHLY and YEARLY;
//   - BYMONTH=1 to 12, one value, for YEARLY;
//   - UNTIL=YYYYMMDD, or UNTIL=YYYYMMDDTHHMMSSZ, of which only the date is kept;
//   - COUNT=1 to 10000, not with UNTIL;
//   - WKST=MO.
//
// A YEARLY rule with BYDAY or BYMONTHDAY must also have BYMONTH: without it RFC 5545
// repeats the day in every month (or counts the ordinal in the year), which a Rule
// cannot say.
//
// Everything else is rejected with an error that wraps ErrInvalidRRULE and quotes the
// offending part: other frequencies, BYSETPOS, BYHOUR and the other BYxxx parts,
// negative or several BYMONTHDAY values, ordinals such as 5MO or -2FR, both UNTIL and
// COUNT, unknown or repeated parts, lowercase text, empty parts. A rule is never
// half-read.
//
// One meaning differs from RFC 5545 on purpose: a day of the month that a month lacks
// is clamped to the month's last day (BYMONTHDAY=31 falls on April 30; a yearly rule
// from February 29 falls on February 28 in common years), where RFC 5545 skips the
// month or year.
func ParseRRULE(s string) (Rule, error) {
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
		if r.Until, err = parseUntil(v); err != nil {
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
// "RRULE:" prefix, in the subset that ParseRRULE reads: FREQ, then INTERVAL (when not
// 1), BYMONTH, BYMONTHDAY, BYDAY (weekdays Monday first), UNTIL (always as a date,
// YYYYMMDD) and COUNT. ParseRRULE(FormatRRULE(r)) returns r for every valid rule with
// AnchorDueDate, except a yearly rule with a day but no month, which RRULE cannot
// express (see ParseRRULE): set Month first.
//
// The anchor is not expressible in RRULE and is left out: a rule with
// AnchorCompletion comes back from ParseRRULE with AnchorDueDate. r is not validated;
// an invalid rule gives text that means something else or that ParseRRULE rejects.
// Note that RFC 5545 wants UNTIL as a UTC date-time for a series of moments, and that
// it skips, rather than clamps, days a month lacks (see ParseRRULE).
func FormatRRULE(r Rule) string {
	var b strings.Builder
	b.WriteString("FREQ=")
	switch r.Frequency {
	case Daily:
		b.WriteString("DAILY")
	case Weekly:
		b.WriteString("WEEKLY")
	case Monthly:
		b.WriteString("MONTHLY")
	case Yearly:
		b.WriteString("YEARLY")
	default:
		b.WriteString(strconv.Itoa(int(r.Frequency)))
	}
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
		fmt.Fprintf(&b, ";BYDAY=%d%s", r.NthWeekday.N, weekdayCode(r.NthWeekday.Weekday))
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
		fmt.Fprintf(&b, ";UNTIL=%04d%02d%02d", r.Until.Year, int(r.Until.Month), r.Until.Day)
	}
	if r.Count != 0 {
		fmt.Fprintf(&b, ";COUNT=%d", r.Count)
	}
	return b.String()
}

func weekdayCode(d time.Weekday) string {
	if d < time.Sunday || d > time.Saturday {
		return strconv.Itoa(int(d))
	}
	return weekdayCodes[d]
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

// parseUntil reads YYYYMMDD or YYYYMMDDTHHMMSSZ, keeping the date.
func parseUntil(v string) (Date, error) {
	date, rest := v, ""
	if len(v) > 8 {
		date, rest = v[:8], v[8:]
	}
	if len(date) != 8 || !allDigits(date) || (rest != "" && (len(rest) != 8 || rest[0] != 'T' || rest[7] != 'Z' || !allDigits(rest[1:7]))) {
		return Date{}, errors.New("UNTIL must be a date YYYYMMDD or a UTC date-time YYYYMMDDTHHMMSSZ")
	}
	if rest != "" {
		h, _ := strconv.Atoi(rest[1:3])
		m, _ := strconv.Atoi(rest[3:5])
		s, _ := strconv.Atoi(rest[5:7])
		if h > 23 || m > 59 || s > 60 {
			return Date{}, fmt.Errorf("UNTIL time %s is not a time of day", rest[1:7])
		}
	}
	y, _ := strconv.Atoi(date[:4])
	m, _ := strconv.Atoi(date[4:6])
	d, _ := strconv.Atoi(date[6:8])
	until := Date{y, time.Month(m), d}
	if err := until.check(); err != nil {
		return Date{}, fmt.Errorf("UNTIL is not a valid date: %w", err)
	}
	return until, nil
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
