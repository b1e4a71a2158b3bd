import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority, TaskStatus, type Reminder, type Task } from "../gen/taskmesh/task/v1/task_pb";
import { describeDue } from "./due";
import { describeRule } from "./recurrenceText";
import { formatInstant } from "../lib/time";

/** FieldChange is one changed field in words. */
export type FieldChange = { field: string; before: string; after: string };

const priorityName: Record<number, string> = {
  [Priority.UNSPECIFIED]: "None",
  [Priority.LOW]: "Low",
  [Priority.MEDIUM]: "Medium",
  [Priority.HIGH]: "High",
};

function reminderText(r: Reminder, tz: string): string {
  if (r.when.case === "beforeDue") {
    const s = Number(r.when.value.seconds);
    if (s % 86400 === 0 && s > 0) return `${s / 86400} day(s) before`;
    if (s % 3600 === 0 && s > 0) return `${s / 3600} hour(s) before`;
    return `${Math.round(s / 60)} minute(s) before`;
  }
  if (r.when.case === "at") return formatInstant(timestampDate(r.when.value), tz, true);
  return "";
}

/**
 * diffTasks lists, in words, the fields that differ between two snapshots of a task (the
 * before/after of an audit entry). Without before, every set field of after is listed.
 */
export function diffTasks(before: Task | undefined, after: Task | undefined, tagName: (id: string) => string, tz: string): FieldChange[] {
  const fields: [string, (t: Task) => string][] = [
    ["Title", (t) => t.title],
    ["Description", (t) => t.description],
    ["Status", (t) => (t.status === TaskStatus.COMPLETED ? "Completed" : "Pending")],
    ["Priority", (t) => priorityName[t.priority] ?? ""],
    ["Tags", (t) => t.tagIds.map(tagName).sort().join(", ")],
    ["Due", (t) => describeDue(t.due, tz)],
    ["Reminders", (t) => t.reminders.map((r) => reminderText(r, tz)).join("; ")],
    ["Repeat", (t) => (t.recurrence ? describeRule(t.recurrence) : "")],
    ["In trash", (t) => (t.deletedAt ? "Yes" : "")],
  ];
  const out: FieldChange[] = [];
  for (const [field, read] of fields) {
    const b = before ? read(before) : "";
    const a = after ? read(after) : "";
    if (a !== b) out.push({ field, before: b, after: a });
  }
  return out;
}
