import { Frequency, RecurrenceAnchor, Weekday, type RecurrenceRule } from "../gen/taskmesh/task/v1/task_pb";
import { formatCalendarDate } from "../lib/time";

export const weekdayShort: Record<number, string> = {
  [Weekday.MONDAY]: "Mon",
  [Weekday.TUESDAY]: "Tue",
  [Weekday.WEDNESDAY]: "Wed",
  [Weekday.THURSDAY]: "Thu",
  [Weekday.FRIDAY]: "Fri",
  [Weekday.SATURDAY]: "Sat",
  [Weekday.SUNDAY]: "Sun",
};

export const weekdayLong: Record<number, string> = {
  [Weekday.MONDAY]: "Monday",
  [Weekday.TUESDAY]: "Tuesday",
  [Weekday.WEDNESDAY]: "Wednesday",
  [Weekday.THURSDAY]: "Thursday",
  [Weekday.FRIDAY]: "Friday",
  [Weekday.SATURDAY]: "Saturday",
  [Weekday.SUNDAY]: "Sunday",
};

export const monthNames = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

const units: Record<number, [string, string]> = {
  [Frequency.DAILY]: ["day", "Daily"],
  [Frequency.WEEKLY]: ["week", "Weekly"],
  [Frequency.MONTHLY]: ["month", "Monthly"],
  [Frequency.YEARLY]: ["year", "Yearly"],
};

const ordinal = (n: number) => (n === -1 ? "last" : ["", "first", "second", "third", "fourth"][n] ?? `${n}th`);

/** describeRule reads a rule as a sentence: "Every 2 weeks on Mon, Wed, 10 times". */
export function describeRule(r: RecurrenceRule): string {
  const [unit, adverb] = units[r.frequency] ?? ["", "Repeats"];
  let s = r.interval > 1 ? `Every ${r.interval} ${unit}s` : adverb;
  if (r.frequency === Frequency.WEEKLY && r.weekdays.length) {
    s += " on " + [...r.weekdays].sort().map((d) => weekdayShort[d]).join(", ");
  }
  if (r.frequency === Frequency.YEARLY && r.month) s += ` in ${monthNames[r.month - 1]}`;
  if (r.frequency === Frequency.MONTHLY || r.frequency === Frequency.YEARLY) {
    if (r.monthDay.case === "dayOfMonth") s += ` on day ${r.monthDay.value}`;
    if (r.monthDay.case === "nthWeekday") s += ` on the ${ordinal(r.monthDay.value.n)} ${weekdayLong[r.monthDay.value.weekday]}`;
  }
  if (r.end.case === "count") s += `, ${r.end.value} time${r.end.value === 1 ? "" : "s"}`;
  if (r.end.case === "until") s += `, until ${formatCalendarDate(r.end.value.year, r.end.value.month, r.end.value.day)}`;
  if (r.anchor === RecurrenceAnchor.COMPLETION_DATE) s += " (counted from completion)";
  return s;
}
