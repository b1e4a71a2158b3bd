package recurrence

import (
	"errors"
	"fmt"
	"time"
)

// Occurrence is one instance of a series: either a moment (At set, Date zero) or a
// whole day in the user's zone, an all-day occurrence (Date set, At zero). The
// functions of this package reject an Occurrence with both or neither set, and return
// occurrences of the same kind as the series' start, with At in the user's location.
type Occurrence struct {
	At   time.Time
	Date Date
	// firstMoment marks the moment 0001-01-01T00:00:00Z, the first a due can name, which
	// time.Time holds as its zero value: AtTime sets it, so that this moment is not read
	// as "no moment" (a preview of a series starting then was refused).
	firstMoment bool
}

// AtTime returns the occurrence at moment t (any moment, 0001-01-01T00:00:00Z included).
func AtTime(t time.Time) Occurrence { return Occurrence{At: t, firstMoment: t.IsZero()} }

// moment reports whether o has a moment set.
func (o Occurrence) moment() bool { return !o.At.IsZero() || o.firstMoment }

// OnDate returns the all-day occurrence on day d.
func OnDate(d Date) Occurrence { return Occurrence{Date: d} }

// AllDay reports whether o is a whole day rather than a moment.
func (o Occurrence) AllDay() bool { return !o.moment() && !o.Date.IsZero() }

// String returns o's Date as YYYY-MM-DD, or its moment in RFC 3339 form.
func (o Occurrence) String() string {
	if !o.moment() {
		return o.Date.String()
	}
	return o.At.Format(time.RFC3339Nano)
}

// Bounds of what this package computes: Dates of years 1 to 9999, and moments that a
// protobuf Timestamp can hold (the same years, in UTC).
var (
	minMoment = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxMoment = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
	maxDay    = dayNumber(Date{9999, time.December, 31})
)

// check returns nil when o is exactly one of a moment and a valid Date, within the
// bounds of this package.
func (o Occurrence) check(loc *time.Location) error {
	switch {
	case !o.moment() && o.Date.IsZero():
		return errors.New("neither a moment nor a date is set")
	case o.moment() && !o.Date.IsZero():
		return errors.New("both a moment and a date are set")
	case !o.Date.IsZero():
		return o.Date.check()
	case o.At.Before(minMoment) || o.At.After(maxMoment):
		return fmt.Errorf("moment %s is outside years 1 to 9999", o.At.UTC().Format(time.RFC3339))
	}
	if err := localDate(o.At, loc).check(); err != nil {
		return fmt.Errorf("moment %s: %w", o.At.Format(time.RFC3339), err)
	}
	return nil
}

// day returns the day number of o in loc.
func (o Occurrence) day(loc *time.Location) int64 {
	if !o.moment() {
		return dayNumber(o.Date)
	}
	return dayNumber(localDate(o.At, loc))
}

// dayNumber returns the number of days from 1970-01-01 to d (negative before).
func dayNumber(d Date) int64 {
	// Midnight UTC is a whole number of days from the Unix epoch, so the division is
	// exact, negative numbers included.
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// dateOf is the inverse of dayNumber.
func dateOf(n int64) Date {
	y, m, d := time.Unix(n*86400, 0).UTC().Date()
	return Date{y, m, d}
}

// localDate returns the calendar day of t in loc.
func localDate(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// clock is a wall-clock time of day.
type clock struct{ h, m, s, ns int }

// wallTime returns the moment when the clocks of loc show day d at time c. A time that
// falls in a gap (spring forward) is moved forward by the length of the gap: it is read
// with the UTC offset in force before the gap, as RFC 5545 says. A time that happens
// twice (fall back) is the earlier of the two moments. time.Date alone is not used for
// this because it resolves both cases differently from zone to zone.
func wallTime(d Date, c clock, loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, c.h, c.m, c.s, c.ns, loc)
	want := time.Date(d.Year, d.Month, d.Day, c.h, c.m, c.s, c.ns, time.UTC)
	got := wallAsUTC(t)
	if got.Equal(want) {
		// The time exists. It may exist twice: once more in the zone period before t's.
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			_, before := start.Add(-time.Nanosecond).Zone()
			if u := want.Add(-time.Duration(before) * time.Second).In(loc); u.Before(start) && wallAsUTC(u).Equal(want) {
				return u
			}
		}
		return t
	}
	// The time does not exist: find the offset in force before the transition.
	var before int
	if got.Before(want) {
		// t lies before the gap, in the period that the gap ends.
		_, before = t.Zone()
	} else if start, _ := t.ZoneBounds(); !start.IsZero() {
		// t lies after the gap, in the period that the gap starts.
		_, before = start.Add(-time.Nanosecond).Zone()
	} else {
		return t
	}
	if u := want.Add(-time.Duration(before) * time.Second).In(loc); wallAsUTC(u).After(want) {
		return u
	}
	return t // a zone history too odd for the above; still a moment near the wanted time
}

// wallAsUTC returns the wall-clock reading of t as if it were in UTC.
func wallAsUTC(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// floorDiv and floorMod divide rounding towards minus infinity; b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
