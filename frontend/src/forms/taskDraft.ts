import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  DateSchema,
  DueSchema,
  Frequency,
  NthWeekdaySchema,
  Priority,
  RecurrenceAnchor,
  RecurrenceRuleSchema,
  ReminderSchema,
  TaskSchema,
  Weekday,
  type Due,
  type RecurrenceRule,
  type Reminder,
  type Task,
} from "../gen/taskmesh/task/v1/task_pb";
import type { FieldErrors } from "../api/errors";
import { dateInputString, fromDateTimeInput, parseDateInput, toDateInput, toDateTimeInput, toTimeInput, zonedToInstant } from "../lib/time";

export type ReminderUnit = "minutes" | "hours" | "days";
export const unitSeconds: Record<ReminderUnit, number> = { minutes: 60, hours: 3600, days: 86400 };

/** ReminderDraft is one reminder row of the form. */
export type ReminderDraft =
  | { key: string; kind: "at"; at: string }
  | { key: string; kind: "before"; amount: number; unit: ReminderUnit };

/** RecurrenceDraft is the recurrence picker's state; it maps onto RecurrenceRule. */
export type RecurrenceDraft = {
  frequency: Frequency;
  interval: number;
  weekdays: Weekday[];
  monthDay: "due" | "day" | "nth";
  dayOfMonth: number;
  nthN: number;
  nthWeekday: Weekday;
  /** Yearly: 1 to 12, or 0 for the due date's month. */
  month: number;
  end: "never" | "until" | "count";
  until: string;
  count: number;
  anchor: RecurrenceAnchor;
};

/** TaskDraft is the task form's state: strings as the inputs hold them. */
export type TaskDraft = {
  title: string;
  description: string;
  priority: Priority;
  tagIds: string[];
  dueKind: "none" | "date" | "datetime";
  dueDate: string;
  dueTime: string;
  reminders: ReminderDraft[];
  recurrence: RecurrenceDraft | null;
};

let keySeq = 0;
/** newKey identifies a reminder row for React. */
export const newKey = () => `r${++keySeq}`;

export function emptyDraft(): TaskDraft {
  return {
    title: "",
    description: "",
    priority: Priority.UNSPECIFIED,
    tagIds: [],
    dueKind: "none",
    dueDate: "",
    dueTime: "09:00",
    reminders: [],
    recurrence: null,
  };
}

export function defaultRecurrence(): RecurrenceDraft {
  return {
    frequency: Frequency.WEEKLY,
    interval: 1,
    weekdays: [],
    monthDay: "due",
    dayOfMonth: 1,
    nthN: 1,
    nthWeekday: Weekday.MONDAY,
    month: 0,
    end: "never",
    until: "",
    count: 10,
    anchor: RecurrenceAnchor.DUE_DATE,
  };
}

function reminderDraft(r: Reminder, tz: string): ReminderDraft {
  if (r.when.case === "beforeDue") {
    const secs = Number(r.when.value.seconds);
    const unit: ReminderUnit = secs > 0 && secs % 86400 === 0 ? "days" : secs > 0 && secs % 3600 === 0 ? "hours" : "minutes";
    return { key: newKey(), kind: "before", amount: Math.round(secs / unitSeconds[unit]), unit };
  }
  const at = r.when.case === "at" ? timestampDate(r.when.value) : new Date();
  return { key: newKey(), kind: "at", at: toDateTimeInput(at, tz) };
}

function recurrenceDraft(r: RecurrenceRule): RecurrenceDraft {
  const d = defaultRecurrence();
  d.frequency = r.frequency;
  d.interval = r.interval || 1;
  d.weekdays = [...r.weekdays];
  d.month = r.month;
  d.anchor = r.anchor || RecurrenceAnchor.DUE_DATE;
  if (r.monthDay.case === "dayOfMonth") {
    d.monthDay = "day";
    d.dayOfMonth = r.monthDay.value;
  } else if (r.monthDay.case === "nthWeekday") {
    d.monthDay = "nth";
    d.nthN = r.monthDay.value.n;
    d.nthWeekday = r.monthDay.value.weekday;
  }
  if (r.end.case === "count") {
    d.end = "count";
    d.count = r.end.value;
  } else if (r.end.case === "until") {
    d.end = "until";
    d.until = dateInputString(r.end.value.year, r.end.value.month, r.end.value.day);
  }
  return d;
}

/** draftFromTask fills the form from a task, times shown in tz. */
export function draftFromTask(t: Task, tz: string): TaskDraft {
  const d = emptyDraft();
  d.title = t.title;
  d.description = t.description;
  d.priority = t.priority;
  d.tagIds = [...t.tagIds];
  if (t.due?.kind.case === "at") {
    const at = timestampDate(t.due.kind.value);
    d.dueKind = "datetime";
    d.dueDate = toDateInput(at, tz);
    d.dueTime = toTimeInput(at, tz);
  } else if (t.due?.kind.case === "date") {
    const v = t.due.kind.value;
    d.dueKind = "date";
    d.dueDate = dateInputString(v.year, v.month, v.day);
  }
  d.reminders = t.reminders.map((r) => reminderDraft(r, tz));
  d.recurrence = t.recurrence ? recurrenceDraft(t.recurrence) : null;
  return d;
}

/** dueFromDraft is the Due of the form, or undefined when none (or incomplete). */
export function dueFromDraft(d: Pick<TaskDraft, "dueKind" | "dueDate" | "dueTime">, tz: string): Due | undefined {
  const date = parseDateInput(d.dueDate);
  if (d.dueKind === "none" || !date) return undefined;
  if (d.dueKind === "date") return create(DueSchema, { kind: { case: "date", value: date } });
  const at = zonedToInstant(d.dueDate, d.dueTime || "00:00", tz);
  return create(DueSchema, { kind: { case: "at", value: timestampFromDate(at) } });
}

/** ruleFromDraft is the RecurrenceRule of the picker. */
export function ruleFromDraft(r: RecurrenceDraft): RecurrenceRule {
  const rule = create(RecurrenceRuleSchema, {
    frequency: r.frequency,
    interval: r.interval,
    anchor: r.anchor,
  });
  if (r.frequency === Frequency.WEEKLY) rule.weekdays = [...r.weekdays].sort((a, b) => a - b);
  if (r.frequency === Frequency.YEARLY) rule.month = r.month;
  if (r.frequency === Frequency.MONTHLY || r.frequency === Frequency.YEARLY) {
    if (r.monthDay === "day") rule.monthDay = { case: "dayOfMonth", value: r.dayOfMonth };
    if (r.monthDay === "nth") rule.monthDay = { case: "nthWeekday", value: create(NthWeekdaySchema, { n: r.nthN, weekday: r.nthWeekday }) };
  }
  if (r.end === "count") rule.end = { case: "count", value: r.count };
  const until = parseDateInput(r.until);
  if (r.end === "until" && until) rule.end = { case: "until", value: create(DateSchema, until) };
  return rule;
}

/**
 * taskFromDraft builds the Task the form describes, and the errors only the form can see
 * (an incomplete date, a relative reminder or a rule without a due date), under the same
 * paths the server uses ("task.due", "task.reminders[1]").
 */
export function taskFromDraft(d: TaskDraft, tz: string): { task: Task; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const due = dueFromDraft(d, tz);
  if (d.dueKind !== "none" && !due) errors["task.due"] = "Pick a date.";
  const reminders = d.reminders.map((r, i) => {
    if (r.kind === "before") {
      if (d.dueKind === "none") errors[`task.reminders[${i}]`] = "A reminder before the due time needs a due date.";
      return create(ReminderSchema, {
        when: { case: "beforeDue", value: durationFromMs(Math.max(0, r.amount) * unitSeconds[r.unit] * 1000) },
      });
    }
    if (!r.at) errors[`task.reminders[${i}]`] = "Pick the reminder's date and time.";
    const at = r.at ? fromDateTimeInput(r.at, tz) : new Date(0);
    return create(ReminderSchema, { when: { case: "at", value: timestampFromDate(at) } });
  });
  if (d.recurrence && d.dueKind === "none") errors["task.recurrence"] = "A repeating task needs a due date.";
  if (d.recurrence?.end === "until" && !parseDateInput(d.recurrence.until)) errors["task.recurrence.until"] = "Pick the last day.";
  const task = create(TaskSchema, {
    title: d.title,
    description: d.description,
    priority: d.priority,
    tagIds: d.tagIds,
    due,
    reminders,
    recurrence: d.recurrence ? ruleFromDraft(d.recurrence) : undefined,
  });
  return { task, errors };
}

const reminderKey = (r: ReminderDraft) => (r.kind === "at" ? `at:${r.at}` : `before:${r.amount * unitSeconds[r.unit]}`);

/** changedPaths lists the update-mask paths whose form values differ from the original. */
export function changedPaths(original: TaskDraft, d: TaskDraft): string[] {
  const paths: string[] = [];
  if (d.title !== original.title) paths.push("title");
  if (d.description !== original.description) paths.push("description");
  if (d.priority !== original.priority) paths.push("priority");
  if ([...d.tagIds].sort().join() !== [...original.tagIds].sort().join()) paths.push("tag_ids");
  const dueKey = (x: TaskDraft) => (x.dueKind === "none" ? "none" : x.dueKind === "date" ? `d:${x.dueDate}` : `t:${x.dueDate}T${x.dueTime}`);
  if (dueKey(d) !== dueKey(original)) paths.push("due");
  if (d.reminders.map(reminderKey).join("|") !== original.reminders.map(reminderKey).join("|")) paths.push("reminders");
  if (JSON.stringify(d.recurrence) !== JSON.stringify(original.recurrence)) paths.push("recurrence");
  return paths;
}
