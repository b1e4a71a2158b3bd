// Package recurrence computes the occurrences of a repeating task.
//
// It is pure: plain Go values in, plain Go values out, no clock, no I/O. A Rule says
// how a task repeats; an Occurrence is one instance of it, either a moment (a task due
// at 09:00) or a whole day (an all-day task). Rules are evaluated in the user's IANA
// time zone, given as a *time.Location. Occurrences lists a series and Next finds the
// occurrence after a completed one. FromProto, ToProto, FromProtoDue and ToProtoDue
// convert to and from the protobuf types of taskmesh.task.v1; ParseRRULE and
// FormatRRULE read and write a subset of RFC 5545 RRULE text for a series (its start
// and zone), which UNTIL needs: RFC 5545 bounds a timed series by a UTC instant where
// a Rule bounds it by a day in the user's zone. testdata/rfc5545 holds occurrences
// computed by an independent RFC 5545 implementation that the tests compare against.
//
// # The series
//
// A series is a start occurrence (the task's first due) and a Rule. The start is always
// occurrence #1, even when it does not fit the rule's pattern (RFC 5545 treats DTSTART
// the same way). The later occurrences are the days that fit the pattern and fall after
// the start's day, in order:
//
//   - Daily: every Interval days from the start's day.
//   - Weekly: on Weekdays (the start's weekday when empty) of every Interval-th week,
//     counting from the start's week. Weeks begin on Monday (RRULE WKST=MO): "every 2
//     weeks on Monday and Thursday" is Monday and Thursday of the start's week, of the
//     week two weeks later, and so on.
//   - Monthly: one day in every Interval-th month from the start's month: DayOfMonth,
//     or NthWeekday ("the last Friday"), or else the start's day of the month.
//   - Yearly: one day in Month (the start's month when 0) of every Interval-th year
//     from the start's year, chosen as for monthly rules.
//
// A day of the month past the end of a shorter month falls on that month's last day:
// the 31st is April 30 in April and February 28 (29) in February. In particular a
// yearly rule started on February 29 falls on February 28 in common years and on
// February 29 in leap years (it never skips a year, and never moves to March 1).
//
// Every period (day, week, month, year) of the pattern holds at least one day, so the
// next occurrence is always found within two periods: no search can spin.
//
// The series ends after Count occurrences (the start included), or after the last
// occurrence on or before Until (inclusive, a day in the user's zone), or never. It
// also ends at 9999-12-31, the last day a Date can hold.
//
// # Moments, days and daylight saving
//
// For a start that is a moment, every occurrence is at the start's wall-clock time of
// day in loc: a task due at 09:00 stays at 09:00 local across daylight-saving changes,
// so the gap between two occurrences is sometimes 23 or 25 hours. When that wall-clock
// time does not exist on a day (it falls in a spring-forward gap), the occurrence is
// moved forward by the length of the gap (02:30 becomes 03:30 in America/New_York on
// 2026-03-08), which is the RFC 5545 rule of reading the time with the UTC offset in
// force before the gap. When it exists twice (an autumn fall-back), the occurrence is
// the earlier of the two moments (01:30 EDT, not 01:30 EST, in New York on
// 2026-11-01). This package does not rely on time.Date's own normalization, which
// differs between zones. The next occurrence after a shifted one is back at the series'
// time of day. If a shift would put an occurrence at or before the previous one (a
// whole skipped day, as in Pacific/Apia on 2011-12-30), the colliding day is dropped,
// so occurrences are always strictly increasing.
//
// For a start that is a Date (an all-day task), every occurrence is a Date; no time of
// day or time zone arithmetic is involved.
//
// # Anchors
//
// AnchorDueDate ("every Monday"): the occurrence after the current one is the first one
// of the series on a later day than the current one's day. AnchorCompletion ("3 days
// after I finish it"): the series is started afresh on the day the current occurrence
// was completed, and the next occurrence is the first one of that fresh series on a
// later day than the completion day. Weekday, day of month and month left to the
// start in the rule are then taken from the completion day, and the periods are
// counted from the completion's period; the time of day stays the series' own. So a
// daily rule with interval 3 gives completion day + 3 days, "every 2 weeks" gives
// completion day + 14 days, "every month" the same day next month (clamped), and
// "weekly on Monday and Thursday" completed on a Tuesday gives that week's Thursday.
// Completing early therefore can give a next occurrence on or before the current one's
// due day. Count and Until bound both anchors.
package recurrence
