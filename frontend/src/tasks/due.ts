import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Due, Task } from "../gen/taskmesh/task/v1/task_pb";
import { TaskStatus } from "../gen/taskmesh/task/v1/task_pb";
import { formatCalendarDate, formatInstant, toDateInput, zonedToInstant, dateInputString } from "../lib/time";

/**
 * dueDeadline is the moment a task becomes overdue: the due instant, or for an all-day
 * task the end of that day in the user's time zone. Undefined when there is no due.
 */
export function dueDeadline(due: Due | undefined, tz: string): Date | undefined {
  if (!due) return undefined;
  switch (due.kind.case) {
    case "at":
      return timestampDate(due.kind.value);
    case "date": {
      const { year, month, day } = due.kind.value;
      const next = new Date(Date.UTC(year, month - 1, day + 1));
      return zonedToInstant(next.toISOString().slice(0, 10), "00:00", tz);
    }
    default:
      return undefined;
  }
}

/** isOverdue: pending, live and past its deadline. */
export function isOverdue(task: Task, tz: string, now = new Date()): boolean {
  if (task.status === TaskStatus.COMPLETED || task.deletedAt) return false;
  const d = dueDeadline(task.due, tz);
  return d !== undefined && d.getTime() <= now.getTime();
}

/** describeDue is what the user reads: "Mon, Mar 2, 09:30" or "Mon, Mar 2, 2026 (all day)". */
export function describeDue(due: Due | undefined, tz: string): string {
  if (!due) return "";
  switch (due.kind.case) {
    case "at": {
      const d = timestampDate(due.kind.value);
      const sameYear = toDateInput(d, tz).slice(0, 4) === toDateInput(new Date(), tz).slice(0, 4);
      return formatInstant(d, tz, !sameYear);
    }
    case "date": {
      const { year, month, day } = due.kind.value;
      return `${formatCalendarDate(year, month, day)} (all day)`;
    }
    default:
      return "";
  }
}

/** dueDateString is the due's calendar day in tz as "YYYY-MM-DD" ("" without due). */
export function dueDateString(due: Due | undefined, tz: string): string {
  if (!due) return "";
  if (due.kind.case === "at") return toDateInput(timestampDate(due.kind.value), tz);
  if (due.kind.case === "date") {
    const { year, month, day } = due.kind.value;
    return dateInputString(year, month, day);
  }
  return "";
}
