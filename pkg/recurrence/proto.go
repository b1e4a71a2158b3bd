package recurrence

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
)

// FromProto converts a protobuf rule into a Rule and validates it. It returns an error
// when p is nil, and a *FieldError (naming the field as in RecurrenceRule, e.g.
// "weekdays[1]" or "until") when a field holds an unknown or UNSPECIFIED enum value,
// repeats a weekday, sets a oneof to an empty or zero value (day_of_month 0, count 0, a
// nil nth_weekday or until), or when the rule fails Rule.Validate. It does not need
// protovalidate to have run first. RECURRENCE_ANCHOR_UNSPECIFIED reads as
// AnchorDueDate.
func FromProto(p *taskv1.RecurrenceRule) (Rule, error) {
	if p == nil {
		return Rule{}, errors.New("recurrence: the recurrence rule is nil")
	}
	r := Rule{Interval: int(p.GetInterval()), Month: time.Month(p.GetMonth())}
	switch p.GetFrequency() {
	case taskv1.Frequency_FREQUENCY_DAILY:
		r.Frequency = Daily
	case taskv1.Frequency_FREQUENCY_WEEKLY:
		r.Frequency = Weekly
	case taskv1.Frequency_FREQUENCY_MONTHLY:
		r.Frequency = Monthly
	case taskv1.Frequency_FREQUENCY_YEARLY:
		r.Frequency = Yearly
	default:
		return Rule{}, fieldErr("frequency", "must be daily, weekly, monthly or yearly, not %s", p.GetFrequency())
	}
	for i, w := range p.GetWeekdays() {
		d, err := weekdayFromProto(w)
		if err != nil {
			return Rule{}, fieldErr(fmt.Sprintf("weekdays[%d]", i), "%v", err)
		}
		if r.Weekdays.Has(d) {
			return Rule{}, fieldErr(fmt.Sprintf("weekdays[%d]", i), "repeats %s", d)
		}
		r.Weekdays |= Weekdays(d)
	}
	switch md := p.GetMonthDay().(type) {
	case *taskv1.RecurrenceRule_DayOfMonth:
		if md.DayOfMonth < 1 || md.DayOfMonth > 31 {
			return Rule{}, fieldErr("day_of_month", "must be between 1 and 31, not %d", md.DayOfMonth)
		}
		r.DayOfMonth = int(md.DayOfMonth)
	case *taskv1.RecurrenceRule_NthWeekday:
		if md.NthWeekday == nil {
			return Rule{}, fieldErr("nth_weekday", "is set but empty")
		}
		n := int(md.NthWeekday.GetN())
		if n != -1 && (n < 1 || n > 4) {
			return Rule{}, fieldErr("nth_weekday.n", "must be 1, 2, 3, 4 or -1 (last), not %d", n)
		}
		d, err := weekdayFromProto(md.NthWeekday.GetWeekday())
		if err != nil {
			return Rule{}, fieldErr("nth_weekday.weekday", "%v", err)
		}
		r.NthWeekday = NthWeekday{N: n, Weekday: d}
	}
	switch end := p.GetEnd().(type) {
	case *taskv1.RecurrenceRule_Until:
		if end.Until == nil {
			return Rule{}, fieldErr("until", "is set but empty")
		}
		r.Until = dateFromProto(end.Until)
		if err := r.Until.check(); err != nil {
			return Rule{}, fieldErr("until", "is not a valid date: %v", err)
		}
	case *taskv1.RecurrenceRule_Count:
		if end.Count < 1 || end.Count > MaxCount {
			return Rule{}, fieldErr("count", "must be between 1 and %d, not %d", MaxCount, end.Count)
		}
		r.Count = int(end.Count)
	}
	switch p.GetAnchor() {
	case taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_UNSPECIFIED, taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_DUE_DATE:
		r.Anchor = AnchorDueDate
	case taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_COMPLETION_DATE:
		r.Anchor = AnchorCompletion
	default:
		return Rule{}, fieldErr("anchor", "must be due date or completion date, not %s", p.GetAnchor())
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// ToProto converts r into a protobuf rule: weekdays Monday first, the anchor as
// RECURRENCE_ANCHOR_DUE_DATE or RECURRENCE_ANCHOR_COMPLETION_DATE, unset oneofs for
// zero fields. It does not validate r (call Validate first); out-of-range values are
// copied as they are (an invalid frequency or anchor becomes UNSPECIFIED) for
// protovalidate to reject. FromProto(ToProto(r)) returns r for every valid r.
func ToProto(r Rule) *taskv1.RecurrenceRule {
	p := &taskv1.RecurrenceRule{
		Interval: int32(r.Interval),
		Month:    int32(r.Month),
	}
	switch r.Frequency {
	case Daily:
		p.Frequency = taskv1.Frequency_FREQUENCY_DAILY
	case Weekly:
		p.Frequency = taskv1.Frequency_FREQUENCY_WEEKLY
	case Monthly:
		p.Frequency = taskv1.Frequency_FREQUENCY_MONTHLY
	case Yearly:
		p.Frequency = taskv1.Frequency_FREQUENCY_YEARLY
	}
	for _, d := range r.Weekdays.Days() {
		p.Weekdays = append(p.Weekdays, weekdayToProto(d))
	}
	switch {
	case r.DayOfMonth != 0:
		p.MonthDay = &taskv1.RecurrenceRule_DayOfMonth{DayOfMonth: int32(r.DayOfMonth)}
	case !r.NthWeekday.IsZero():
		p.MonthDay = &taskv1.RecurrenceRule_NthWeekday{NthWeekday: &taskv1.NthWeekday{
			N:       int32(r.NthWeekday.N),
			Weekday: weekdayToProto(r.NthWeekday.Weekday),
		}}
	}
	switch {
	case !r.Until.IsZero():
		p.End = &taskv1.RecurrenceRule_Until{Until: dateToProto(r.Until)}
	case r.Count != 0:
		p.End = &taskv1.RecurrenceRule_Count{Count: int32(r.Count)}
	}
	switch r.Anchor {
	case AnchorDueDate:
		p.Anchor = taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_DUE_DATE
	case AnchorCompletion:
		p.Anchor = taskv1.RecurrenceAnchor_RECURRENCE_ANCHOR_COMPLETION_DATE
	}
	return p
}

// FromProtoDue converts a protobuf due into an Occurrence: a moment (in UTC) for `at`,
// an all-day Date for `date`. It returns an error when d is nil, has neither, or holds
// a nil or invalid Timestamp or a Date that is not a real day of years 1 to 9999.
func FromProtoDue(d *taskv1.Due) (Occurrence, error) {
	if d == nil {
		return Occurrence{}, errors.New("recurrence: the due is nil")
	}
	switch k := d.GetKind().(type) {
	case *taskv1.Due_At:
		if err := k.At.CheckValid(); err != nil {
			return Occurrence{}, fmt.Errorf("recurrence: due.at: %w", err)
		}
		return AtTime(k.At.AsTime()), nil
	case *taskv1.Due_Date:
		if k.Date == nil {
			return Occurrence{}, errors.New("recurrence: due.date is set but empty")
		}
		date := dateFromProto(k.Date)
		if err := date.check(); err != nil {
			return Occurrence{}, fmt.Errorf("recurrence: due.date: %w", err)
		}
		return OnDate(date), nil
	}
	return Occurrence{}, errors.New("recurrence: the due has neither a moment (at) nor a date")
}

// ToProtoDue converts o into a protobuf due: `at` when o is a moment (At is used when
// set, even if Date is set too), `date` when it is all-day, nil when o is empty. It
// does not validate o.
func ToProtoDue(o Occurrence) *taskv1.Due {
	switch {
	case o.moment():
		return &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(o.At)}}
	case !o.Date.IsZero():
		return &taskv1.Due{Kind: &taskv1.Due_Date{Date: dateToProto(o.Date)}}
	}
	return nil
}

func dateFromProto(d *taskv1.Date) Date {
	return Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

func dateToProto(d Date) *taskv1.Date {
	return &taskv1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// weekdayFromProto maps WEEKDAY_MONDAY (1) .. WEEKDAY_SUNDAY (7) to time.Weekday.
func weekdayFromProto(w taskv1.Weekday) (time.Weekday, error) {
	if w < taskv1.Weekday_WEEKDAY_MONDAY || w > taskv1.Weekday_WEEKDAY_SUNDAY {
		return 0, fmt.Errorf("must be a weekday Monday to Sunday, not %s", w)
	}
	return time.Weekday(int(w) % 7), nil
}

func weekdayToProto(d time.Weekday) taskv1.Weekday {
	if d == time.Sunday {
		return taskv1.Weekday_WEEKDAY_SUNDAY
	}
	return taskv1.Weekday(d)
}
