package recurrence

import (
	"errors"
	"fmt"
	"time"
)

// Occurrences returns the first n occurrences of the series that starts at start and
// repeats by rule in loc, in increasing order: start itself (always occurrence #1,
// whether or not it fits the pattern, and whatever Until says), then the occurrences
// on later days. It returns fewer than n when the series ends first (Count reached, a
// day after Until, or past 9999-12-31), and none when n is 0. Timed occurrences carry
// the start's wall-clock time of day and are returned in loc; see the package doc for
// daylight-saving gaps and overlaps. The later occurrences are strictly increasing.
//
// It returns an error, and no occurrences, when rule is invalid (a *FieldError, see
// Rule.Validate), loc is nil, n is outside 0 to MaxCount, or start is not exactly one
// of a moment and a valid Date of years 1 to 9999.
func Occurrences(rule Rule, start Occurrence, loc *time.Location, n int) ([]Occurrence, error) {
	s, err := newSeries(rule, start, loc)
	if err != nil {
		return nil, fmt.Errorf("recurrence: occurrences: %w", err)
	}
	if n < 0 || n > MaxCount {
		return nil, fmt.Errorf("recurrence: occurrences: n must be between 0 and %d, not %d", MaxCount, n)
	}
	if rule.Count != 0 {
		n = min(n, rule.Count)
	}
	out := make([]Occurrence, 0, n)
	if n == 0 {
		return out, nil
	}
	out = append(out, s.start)
	prev, prevDay := s.start, s.startDay
	for len(out) < n {
		o, day, ok, err := s.following(s.pattern, prevDay, prev.At)
		if err != nil {
			return nil, fmt.Errorf("recurrence: occurrences: after %s: %w", prev, err)
		}
		if !ok || s.pastUntil(day) {
			break
		}
		out = append(out, o)
		prev, prevDay = o, day
	}
	return out, nil
}

// Next returns the occurrence that follows current, the index-th occurrence (counting
// from 1) of the series that starts at start and repeats by rule in loc. ok is false,
// with no error, when the series has ended: index has reached Count, or the next
// occurrence would fall on a day after Until or after 9999-12-31.
//
// start fixes the series: its kind (moment or all-day), its time of day, the weekday,
// day of month and month that the rule leaves open, and the weeks, months or years
// that Interval counts from. It should be the first occurrence of the series, which
// callers keep; passing current instead works for most rules, but lets a clamped day
// (the 31st moved to April 30) or a time moved by a daylight-saving gap stick.
//
// With AnchorDueDate, next is the first occurrence of the series on a day after
// current's day (current's date, or the day of current's moment in loc); completedAt
// is ignored. If current's day is before start's, that is start itself. When both are
// moments, next is also strictly after current.
//
// With AnchorCompletion, next is the first occurrence on a day after completedAt's day
// in loc, of the series started afresh on that day (see the package doc): for a daily
// rule, completedAt's day plus Interval days, at the series' time of day. It is
// strictly after completedAt, but may be before or on current's day when the task was
// completed early.
//
// It returns an error when rule is invalid (a *FieldError), loc is nil, start or
// current is not exactly one of a moment and a valid Date, index is below 1, or the
// anchor is AnchorCompletion and completedAt is the zero time or outside years 1 to
// 9999.
func Next(rule Rule, start, current Occurrence, index int, completedAt time.Time, loc *time.Location) (next Occurrence, ok bool, err error) {
	s, err := newSeries(rule, start, loc)
	if err != nil {
		return Occurrence{}, false, fmt.Errorf("recurrence: next: %w", err)
	}
	if err := current.check(loc); err != nil {
		return Occurrence{}, false, fmt.Errorf("recurrence: next: current: %w", err)
	}
	if index < 1 {
		return Occurrence{}, false, fmt.Errorf("recurrence: next: index must be at least 1, not %d", index)
	}
	if rule.Count != 0 && index >= rule.Count {
		return Occurrence{}, false, nil
	}
	var day int64
	switch rule.Anchor {
	case AnchorCompletion:
		if completedAt.IsZero() {
			return Occurrence{}, false, errors.New("recurrence: next: completedAt is required with the completion anchor")
		}
		if err := AtTime(completedAt).check(loc); err != nil {
			return Occurrence{}, false, fmt.Errorf("recurrence: next: completedAt: %w", err)
		}
		done := localDate(completedAt, loc)
		next, day, ok, err = s.following(newPattern(rule, done), dayNumber(done), completedAt)
	default:
		curDay := current.day(loc)
		if curDay < s.startDay {
			next, day, ok = s.start, s.startDay, true
			break
		}
		next, day, ok, err = s.following(s.pattern, curDay, current.At)
	}
	if err != nil {
		return Occurrence{}, false, fmt.Errorf("recurrence: next: after %s: %w", current, err)
	}
	if !ok || s.pastUntil(day) {
		return Occurrence{}, false, nil
	}
	return next, true, nil
}

// series is a start and a rule, checked and ready to compute with.
type series struct {
	rule     Rule
	loc      *time.Location
	start    Occurrence // At in loc
	startDay int64
	allDay   bool
	tod      clock // for timed series
	pattern  pattern
	untilDay int64 // when rule.Until is set
}

func newSeries(rule Rule, start Occurrence, loc *time.Location) (*series, error) {
	if err := rule.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		return nil, errors.New("the time zone (loc) is nil")
	}
	if err := start.check(loc); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	s := &series{rule: rule, loc: loc, start: start, allDay: start.AllDay()}
	startDate := start.Date
	if !s.allDay {
		t := start.At.In(loc)
		s.start = AtTime(t)
		startDate = localDate(t, loc)
		h, m, sec := t.Clock()
		s.tod = clock{h, m, sec, t.Nanosecond()}
	}
	s.startDay = dayNumber(startDate)
	s.pattern = newPattern(rule, startDate)
	if !rule.Until.IsZero() {
		s.untilDay = dayNumber(rule.Until)
	}
	return s, nil
}

func (s *series) pastUntil(day int64) bool {
	return !s.rule.Until.IsZero() && day > s.untilDay
}

// maxShifts bounds how many pattern days following skips because a daylight-saving
// shift put them at or before the previous moment; one is the most any real zone needs.
const maxShifts = 8

// following returns the occurrence on the first day of p after day after, and the day
// it falls on in loc. A timed occurrence must also be strictly after prev (unless prev
// is zero). ok is false when that day is past the range of this package.
func (s *series) following(p pattern, after int64, prev time.Time) (o Occurrence, day int64, ok bool, err error) {
	for range maxShifts {
		d, found := p.firstAfter(after)
		if !found {
			return Occurrence{}, 0, false, fmt.Errorf("the %s pattern has no day after %s", p.freq, dateOf(after))
		}
		if d > maxDay {
			return Occurrence{}, 0, false, nil
		}
		if s.allDay {
			return OnDate(dateOf(d)), d, true, nil
		}
		t := wallTime(dateOf(d), s.tod, s.loc)
		if t.After(maxMoment) {
			return Occurrence{}, 0, false, nil
		}
		day := dayNumber(localDate(t, s.loc))
		if prev.IsZero() || t.After(prev) {
			if day > maxDay {
				return Occurrence{}, 0, false, nil
			}
			return AtTime(t), day, true, nil
		}
		after = max(d, day)
	}
	return Occurrence{}, 0, false, fmt.Errorf("no occurrence after %d days the clock of %s skipped", maxShifts, s.loc)
}

// pattern is a rule's pattern with the fields the rule leaves open filled in from an
// anchor day, and the period (day, week, month or year) the interval counts from.
type pattern struct {
	freq     Frequency
	interval int64
	weekdays WeekdaySet // weekly: never empty
	dom      int        // monthly and yearly, when nth is unset: 1 to 31
	nth      NthWeekday
	month    time.Month // yearly
	origin   int64      // the period of the anchor day
}

func newPattern(r Rule, anchor Date) pattern {
	p := pattern{
		freq:     r.Frequency,
		interval: int64(r.Interval),
		weekdays: r.Weekdays,
		dom:      r.DayOfMonth,
		nth:      r.NthWeekday,
		month:    r.Month,
	}
	if p.weekdays == 0 {
		p.weekdays = Weekdays(time.Date(anchor.Year, anchor.Month, anchor.Day, 0, 0, 0, 0, time.UTC).Weekday())
	}
	if p.dom == 0 && p.nth.IsZero() {
		p.dom = anchor.Day
	}
	if p.month == 0 {
		p.month = anchor.Month
	}
	p.origin = p.period(dayNumber(anchor))
	return p
}

// period returns the number of the period that day number d falls in.
func (p pattern) period(d int64) int64 {
	switch p.freq {
	case Weekly:
		// Day 0, 1970-01-01, was a Thursday: day -3 was a Monday.
		return floorDiv(d+3, 7)
	case Monthly:
		date := dateOf(d)
		return int64(date.Year)*12 + int64(date.Month-1)
	case Yearly:
		return int64(dateOf(d).Year)
	}
	return d
}

// firstAfter returns the first day of the pattern after day number after. Every
// period of the pattern holds at least one day, and the first period of the grid that
// begins after after holds one after it, so at most two periods are looked at; ok is
// false only if that reasoning were broken.
func (p pattern) firstAfter(after int64) (day int64, ok bool) {
	per := p.period(after)
	if r := floorMod(per-p.origin, p.interval); r != 0 {
		per += p.interval - r
	}
	for range 3 {
		var buf [7]int64
		for _, d := range p.days(per, buf[:0]) {
			if d > after {
				return d, true
			}
		}
		per += p.interval
	}
	return 0, false
}

// days appends to buf the day numbers of the pattern in period per, in order.
func (p pattern) days(per int64, buf []int64) []int64 {
	switch p.freq {
	case Weekly:
		monday := per*7 - 3
		for i := range int64(7) {
			if p.weekdays.Has(time.Weekday((i + 1) % 7)) {
				buf = append(buf, monday+i)
			}
		}
		return buf
	case Monthly:
		y, m := int(floorDiv(per, 12)), time.Month(floorMod(per, 12)+1)
		return append(buf, dayNumber(Date{y, m, p.dayOfMonth(y, m)}))
	case Yearly:
		y := int(per)
		return append(buf, dayNumber(Date{y, p.month, p.dayOfMonth(y, p.month)}))
	}
	return append(buf, per)
}

// dayOfMonth returns the day of month m of year y that a monthly or yearly pattern
// falls on: the nth weekday, or dom clamped to the month's last day.
func (p pattern) dayOfMonth(y int, m time.Month) int {
	last := daysIn(y, m)
	if p.nth.IsZero() {
		return min(p.dom, last)
	}
	if p.nth.N < 0 {
		lastWd := time.Date(y, m, last, 0, 0, 0, 0, time.UTC).Weekday()
		return last - int(lastWd-p.nth.Weekday+7)%7
	}
	firstWd := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
	return 1 + int(p.nth.Weekday-firstWd+7)%7 + 7*(p.nth.N-1)
}
