package recurrence

import (
	"errors"
	"testing"
	"time"

	// Zone data for machines without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func FuzzParseRRULE(f *testing.F) {
	for _, s := range []string{
		"FREQ=DAILY",
		"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20260630;WKST=MO",
		"FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
		"FREQ=MONTHLY;BYMONTHDAY=31",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=YEARLY;BYMONTH=11;BYDAY=+4TH",
		"FREQ=DAILY;UNTIL=20261231T235959Z",
		"FREQ=DAILY;UNTIL=20260310T035959Z",
		"FREQ=DAILY;UNTIL=20260310T120000",
		"FREQ=DAILY;UNTIL=99991231T235959Z",
		"FREQ=DAILY;UNTIL=00010101T000000Z",
		"FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1",
		"FREQ=YEARLY;BYMONTHDAY=-1",
		"freq=daily;;",
	} {
		for zone := range len(fuzzZones) {
			f.Add(s, uint8(zone), uint16(9565), uint32(9*3600), false)
			f.Add(s, uint8(zone), uint16(9565), uint32(23*3600+3599+86400*40000), false)
		}
		f.Add(s, uint8(1), uint16(9565), uint32(0), true)
	}
	f.Fuzz(func(t *testing.T, s string, zone uint8, day uint16, tod uint32, allDay bool) {
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		// Days from 2000-01-01, with a time of day and a fraction of a second.
		d := dateOf(dayNumber(date(2000, 1, 1)) + int64(day))
		start := OnDate(d)
		if !allDay {
			sec := int(tod % 86400)
			start = AtTime(time.Date(d.Year, d.Month, d.Day, sec/3600, sec/60%60, sec%60, int(tod/86400)*20000, loc))
		}
		r, err := ParseRRULE(s, start, loc)
		if err != nil {
			if !errors.Is(err, ErrInvalidRRULE) {
				t.Fatalf("ParseRRULE(%q) error %v does not wrap ErrInvalidRRULE", s, err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("ParseRRULE(%q) = %v, which is invalid: %v", s, r, err)
		}
		if r.Anchor != AnchorDueDate {
			t.Fatalf("ParseRRULE(%q) has anchor %v", s, r.Anchor)
		}
		text, err := FormatRRULE(r, start, loc)
		if err != nil {
			t.Fatalf("ParseRRULE(%q) = %v; FormatRRULE: %v", s, r, err)
		}
		back, err := ParseRRULE(text, start, loc)
		if err != nil {
			t.Fatalf("ParseRRULE(%q) = %v; its format %q does not parse: %v", s, r, text, err)
		}
		if back != r {
			t.Fatalf("ParseRRULE(%q) = %v; its format %q parses to %v (start %s in %s)", s, r, text, back, start, loc)
		}
		if again, err := FormatRRULE(back, start, loc); err != nil || again != text {
			t.Fatalf("FormatRRULE is not stable: %q then %q, %v", text, again, err)
		}
	})
}

var fuzzZones = []string{
	"UTC",
	"America/New_York",
	"Europe/Paris",
	"Australia/Lord_Howe", // 30-minute DST shifts
	"Pacific/Apia",        // skipped 2011-12-30 entirely
	"America/Santiago",    // DST changes at midnight
	"Asia/Kolkata",
}

// fuzzRule builds a valid rule from fuzz numbers.
func fuzzRule(freq, interval uint16, weekdays, dayKind, dom, nthN, nthWd, month uint8) Rule {
	r := Rule{Frequency: Frequency(1 + freq%4)}
	if interval%2 == 0 {
		r.Interval = 1 + int(interval/2)%5 // small ones, for long series
	} else {
		r.Interval = 1 + int(interval/2)%MaxInterval
	}
	switch r.Frequency {
	case Weekly:
		r.Weekdays = WeekdaySet(weekdays & 0x7f)
	case Monthly, Yearly:
		switch dayKind % 3 {
		case 1:
			r.DayOfMonth = 1 + int(dom)%31
		case 2:
			r.NthWeekday = NthWeekday{N: []int{1, 2, 3, 4, -1}[nthN%5], Weekday: time.Weekday(nthWd % 7)}
		}
		if r.Frequency == Yearly {
			r.Month = time.Month(month % 13)
		}
	}
	return r
}

func FuzzOccurrences(f *testing.F) {
	f.Add(uint16(1), uint16(2), uint8(0x12), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(1), int16(60), uint16(56), uint16(4*12+4), uint32(9*3600), false, uint8(1), uint8(30), uint32(3600))
	f.Add(uint16(2), uint16(1), uint8(0), uint8(2), uint8(0), uint8(4), uint8(5), uint8(0), uint8(2), int16(10), uint16(56), uint16(0), uint32(2*3600+1800), false, uint8(1), uint8(30), uint32(86400*3))
	f.Add(uint16(3), uint16(0), uint8(0), uint8(1), uint8(30), uint8(0), uint8(0), uint8(2), uint8(0), int16(0), uint16(54), uint16(12*28+1), uint32(0), true, uint8(0), uint8(12), uint32(0))
	f.Add(uint16(0), uint16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), int16(0), uint16(3*17), uint16(12*26+11), uint32(9*3600), false, uint8(4), uint8(5), uint32(0))
	f.Add(uint16(0), uint16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), int16(0), uint16(3*3332), uint16(12*29+11), uint32(23*3600), false, uint8(1), uint8(5), uint32(0))
	// Daily at 02:30 across New York's 2026 spring-forward gap, and at 02:30 across
	// Paris's 2026 fall-back overlap, completed a day later.
	f.Add(uint16(0), uint16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), int16(0), uint16(146), uint16(6*12+2), uint32(2*3600+1800), false, uint8(1), uint8(5), uint32(86400))
	f.Add(uint16(0), uint16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), int16(0), uint16(146), uint16(23*12+9), uint32(2*3600+1800), false, uint8(2), uint8(5), uint32(86400))
	f.Fuzz(func(t *testing.T, freq, interval uint16, weekdays, dayKind, dom, nthN, nthWd, month, endKind uint8, endVal int16,
		year, monthDay uint16, tod uint32, allDay bool, zone, n uint8, doneAfter uint32) {
		rule := fuzzRule(freq, interval, weekdays, dayKind, dom, nthN, nthWd, month)
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Fatal(err)
		}
		y := 1960 + int(year)%80
		if year%3 == 0 {
			y = 1 + int(year/3)%9999
		}
		startDate := date(y, 1+int(monthDay)%12, 1+int(monthDay/12)%31)
		startDate.Day = min(startDate.Day, daysIn(startDate.Year, startDate.Month))
		var start Occurrence
		if allDay {
			start = OnDate(startDate)
		} else {
			s := int(tod % 86400)
			start = AtTime(time.Date(startDate.Year, startDate.Month, startDate.Day, s/3600, s/60%60, s%60, 0, loc))
		}
		switch endKind % 3 {
		case 1:
			until := dateOf(dayNumber(startDate) + int64(endVal))
			if until.check() == nil {
				rule.Until = until
			}
		case 2:
			rule.Count = 1 + int(uint16(endVal))%50
		}
		if err := rule.Validate(); err != nil {
			t.Fatalf("fuzzRule made an invalid rule %v: %v", rule, err)
		}
		count := 1 + int(n)%40

		occs, err := Occurrences(rule, start, loc, count)
		if err != nil {
			if start.check(loc) != nil {
				return // a start moment outside the years this package handles
			}
			t.Fatalf("Occurrences(%v, %s, %s, %d): %v", rule, start, loc, count, err)
		}
		c := newChecker(t, rule, start, loc)
		c.series(occs, count)

		due := rule
		due.Anchor = AnchorDueDate
		for i := 1; i <= len(occs); i++ {
			next, ok, err := Next(due, start, occs[i-1], i, time.Time{}, loc)
			switch {
			case err != nil:
				t.Fatalf("Next(%v, #%d %s): %v", due, i, occs[i-1], err)
			case i < len(occs) && (!ok || !sameOccurrence(next, occs[i])):
				t.Fatalf("Next(%v, #%d %s) = %s, %v; Occurrences says %s", due, i, occs[i-1], next, ok, occs[i])
			case i == len(occs) && len(occs) < count && ok:
				t.Fatalf("Next(%v, last #%d %s) = %s; Occurrences ended", due, i, occs[i-1], next)
			}
		}

		// Completion: complete occurrence k some time after it.
		k := int(doneAfter) % len(occs)
		completed := occs[k].At
		if cur := occs[k]; cur.AllDay() {
			completed = time.Date(cur.Date.Year, cur.Date.Month, cur.Date.Day, 0, 0, 0, 0, loc)
		}
		completed = completed.Add(time.Duration(doneAfter%(400*86400)) * time.Second)
		if AtTime(completed).check(loc) != nil {
			return
		}
		done := rule
		done.Anchor = AnchorCompletion
		next, ok, err := Next(done, start, occs[k], k+1, completed, loc)
		if err != nil {
			t.Fatalf("Next(%v, #%d %s, completed %s): %v", done, k+1, occs[k], completed, err)
		}
		c.completion(next, ok, k+1, completed)
	})
}

// checker checks occurrences against a rule, independently of the package's own
// pattern code: by plain calendar arithmetic on time.Time values in UTC.
type checker struct {
	t      *testing.T
	rule   Rule
	start  Occurrence
	loc    *time.Location
	anchor time.Time // the start's day, at midnight UTC
	tod    [3]int    // the start's wall-clock time of day
	budget int       // days left to scan for missed occurrences
}

func newChecker(t *testing.T, rule Rule, start Occurrence, loc *time.Location) *checker {
	c := &checker{t: t, rule: rule, start: start, loc: loc, budget: 20000}
	if start.AllDay() {
		c.anchor = utcDay(start.Date.Year, start.Date.Month, start.Date.Day)
	} else {
		l := start.At.In(loc)
		c.anchor = utcDay(l.Year(), l.Month(), l.Day())
		c.tod = [3]int{l.Hour(), l.Minute(), l.Second()}
	}
	return c
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func daysBetween(a, b time.Time) int { return int((b.Unix() - a.Unix()) / 86400) }

func sameOccurrence(a, b Occurrence) bool { return a.At.Equal(b.At) && a.Date == b.Date }

// matches reports whether day (midnight UTC) fits rule's pattern in a series whose
// first occurrence falls on anchor (midnight UTC), and is after anchor.
func matches(rule Rule, anchor, day time.Time) bool {
	if !day.After(anchor) {
		return false
	}
	switch rule.Frequency {
	case Daily:
		return daysBetween(anchor, day)%rule.Interval == 0
	case Weekly:
		days := rule.Weekdays
		if days == 0 {
			days = Weekdays(anchor.Weekday())
		}
		monday := func(t time.Time) time.Time { return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) }
		return days.Has(day.Weekday()) && daysBetween(monday(anchor), monday(day))/7%rule.Interval == 0
	case Monthly:
		months := (day.Year()-anchor.Year())*12 + int(day.Month()) - int(anchor.Month())
		return months%rule.Interval == 0 && day.Day() == wantDay(rule, anchor, day.Year(), day.Month())
	case Yearly:
		m := rule.Month
		if m == 0 {
			m = anchor.Month()
		}
		return (day.Year()-anchor.Year())%rule.Interval == 0 && day.Month() == m &&
			day.Day() == wantDay(rule, anchor, day.Year(), m)
	}
	return false
}

// wantDay lists the days of the month and picks the rule's one.
func wantDay(rule Rule, anchor time.Time, y int, m time.Month) int {
	var days []time.Time
	for d := utcDay(y, m, 1); d.Month() == m; d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	if rule.NthWeekday.IsZero() {
		dom := rule.DayOfMonth
		if dom == 0 {
			dom = anchor.Day()
		}
		return min(dom, len(days))
	}
	var hits []int
	for _, d := range days {
		if d.Weekday() == rule.NthWeekday.Weekday {
			hits = append(hits, d.Day())
		}
	}
	if rule.NthWeekday.N == -1 {
		return hits[len(hits)-1]
	}
	return hits[rule.NthWeekday.N-1]
}

// wallExists reports whether the clocks of loc show the start's time of day on day.
func (c *checker) wallExists(day time.Time) bool {
	if c.start.AllDay() {
		return true
	}
	t := time.Date(day.Year(), day.Month(), day.Day(), c.tod[0], c.tod[1], c.tod[2], 0, c.loc)
	h, m, s := t.Clock()
	return t.Day() == day.Day() && [3]int{h, m, s} == c.tod
}

// dayOf returns the day that o stands for, the one of its candidates that fits (rule,
// anchor) if any, and the day it falls on in loc. The candidates are its date, or the
// day whose wall-clock time of day it shows, or a day that a daylight-saving gap moved
// it from (the day before, for a skipped day as in Samoa in 2011). It fails the test if
// o is at a time of day that no gap explains, or is not the earlier of two moments
// with the same wall-clock time.
func (c *checker) dayOf(o Occurrence, rule Rule, anchor time.Time) (intended, local time.Time) {
	c.t.Helper()
	if c.start.AllDay() {
		if !o.AllDay() {
			c.t.Fatalf("occurrence %s of an all-day series is a moment", o)
		}
		d := utcDay(o.Date.Year, o.Date.Month, o.Date.Day)
		return d, d
	}
	if o.AllDay() || o.At.Location() != c.loc {
		c.t.Fatalf("occurrence %s is not a moment in %s", o, c.loc)
	}
	l := o.At.In(c.loc)
	local = utcDay(l.Year(), l.Month(), l.Day())
	h, m, s := l.Clock()
	var candidates []time.Time
	if [3]int{h, m, s} == c.tod && l.Nanosecond() == c.start.At.Nanosecond() {
		for _, back := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
			e := o.At.Add(-back).In(c.loc)
			if e.Day() == l.Day() && e.Hour() == h && e.Minute() == m && e.Second() == s {
				c.t.Fatalf("occurrence %s is the later of two moments at that wall-clock time (%s)", o, e)
			}
		}
		candidates = append(candidates, local)
	}
	for _, d := range []time.Time{local, local.AddDate(0, 0, -1)} {
		if c.wallExists(d) {
			continue
		}
		want := time.Date(d.Year(), d.Month(), d.Day(), c.tod[0], c.tod[1], c.tod[2], c.start.At.Nanosecond(), time.UTC)
		got := time.Date(l.Year(), l.Month(), l.Day(), h, m, s, l.Nanosecond(), time.UTC)
		if shift := got.Sub(want); shift > 0 && shift <= 24*time.Hour {
			candidates = append(candidates, d)
		}
	}
	if len(candidates) == 0 {
		c.t.Fatalf("occurrence %s is not at the series' time of day %02d:%02d:%02d, and no gap explains it", o, c.tod[0], c.tod[1], c.tod[2])
	}
	for _, d := range candidates {
		if matches(rule, anchor, d) {
			return d, local
		}
	}
	return candidates[0], local
}

// noneBetween fails the test if a day strictly between from and to fits the pattern
// of rule anchored on anchor and could have been an occurrence (its wall-clock time
// exists).
func (c *checker) noneBetween(rule Rule, anchor, from, to time.Time, what string) {
	c.t.Helper()
	n := daysBetween(from, to)
	if n > c.budget {
		return
	}
	c.budget -= n
	for d := from.AddDate(0, 0, 1); d.Before(to); d = d.AddDate(0, 0, 1) {
		if matches(rule, anchor, d) && c.wallExists(d) {
			c.t.Fatalf("%v: %s misses %s", rule, what, d.Format(time.DateOnly))
		}
	}
}

// series checks the result of Occurrences(c.rule, c.start, c.loc, n).
func (c *checker) series(occs []Occurrence, n int) {
	t := c.t
	if len(occs) == 0 || len(occs) > n || (c.rule.Count != 0 && len(occs) > c.rule.Count) {
		t.Fatalf("Occurrences(%v, %s, n=%d) gave %d", c.rule, c.start, n, len(occs))
	}
	if !sameOccurrence(occs[0], c.start) {
		t.Fatalf("occurrence #1 is %s, want the start %s", occs[0], c.start)
	}
	until := utcDay(c.rule.Until.Year, c.rule.Until.Month, c.rule.Until.Day)
	prevLocal := c.anchor // the start is kept as given, even as the later of two equal wall-clock times
	for i := 1; i < len(occs); i++ {
		o, prev := occs[i], occs[i-1]
		if (o.AllDay() && !dayNumberAfter(o.Date, prev.Date)) || (!o.AllDay() && !o.At.After(prev.At)) {
			t.Fatalf("%v: occurrence #%d %s is not after #%d %s", c.rule, i+1, o, i, prev)
		}
		day, local := c.dayOf(o, c.rule, c.anchor)
		if !matches(c.rule, c.anchor, day) {
			t.Fatalf("%v from %s: occurrence #%d %s (day %s) does not fit the rule", c.rule, c.start, i+1, o, day.Format(time.DateOnly))
		}
		if !c.rule.Until.IsZero() && local.After(until) {
			t.Fatalf("%v: occurrence #%d %s is after until", c.rule, i+1, o)
		}
		c.noneBetween(c.rule, c.anchor, prevLocal, day, "the series")
		prevLocal = local
	}
	if len(occs) == n || len(occs) == c.rule.Count {
		return
	}
	// The series ended early: by until, or by the end of year 9999.
	last := prevLocal
	if !c.rule.Until.IsZero() {
		if until.After(last) {
			c.noneBetween(c.rule, c.anchor, last, until.AddDate(0, 0, 1), "the end of the series")
		}
		return
	}
	span := []int{0, 1, 7, 31, 366}[c.rule.Frequency] * (c.rule.Interval + 1)
	if daysBetween(last, utcDay(9999, 12, 31)) > span+2 {
		t.Fatalf("%v from %s: the series ended after %d occurrences, at %s", c.rule, c.start, len(occs), last.Format(time.DateOnly))
	}
}

func dayNumberAfter(a, b Date) bool { return dayNumber(a) > dayNumber(b) }

// completion checks Next with the completion anchor for the index-th occurrence
// completed at done.
func (c *checker) completion(next Occurrence, ok bool, index int, done time.Time) {
	t := c.t
	rule := c.rule
	rule.Anchor = AnchorCompletion
	dl := done.In(c.loc)
	doneDay := utcDay(dl.Year(), dl.Month(), dl.Day())
	if !ok {
		if rule.Count != 0 && index >= rule.Count {
			return
		}
		if !rule.Until.IsZero() {
			until := utcDay(rule.Until.Year, rule.Until.Month, rule.Until.Day)
			c.noneBetween(rule, doneDay, doneDay, until.AddDate(0, 0, 1), "the completion anchor's end")
			return
		}
		span := []int{0, 1, 7, 31, 366}[rule.Frequency] * (rule.Interval + 1)
		if daysBetween(doneDay, utcDay(9999, 12, 31)) > span+2 {
			t.Fatalf("%v: no occurrence after completion at %s", rule, done)
		}
		return
	}
	if rule.Count != 0 && index >= rule.Count {
		t.Fatalf("%v: next %s after #%d, past the count", rule, next, index)
	}
	if !next.AllDay() && !next.At.After(done) {
		t.Fatalf("%v: next %s is not after the completion %s", rule, next, done)
	}
	day, local := c.dayOf(next, rule, doneDay)
	if !matches(rule, doneDay, day) {
		t.Fatalf("%v: next %s (day %s) after completion on %s does not fit the rule", rule, next, day.Format(time.DateOnly), doneDay.Format(time.DateOnly))
	}
	if !rule.Until.IsZero() && local.After(utcDay(rule.Until.Year, rule.Until.Month, rule.Until.Day)) {
		t.Fatalf("%v: next %s is after until", rule, next)
	}
	c.noneBetween(rule, doneDay, doneDay, day, "the completion anchor")
}
