import type { Due } from "../gen/taskmesh/task/v1/task_pb";
import { Icon } from "./Icon";
import { describeDue } from "../tasks/due";

/** DueLabel is a task's due date in the user's zone, highlighted when overdue. */
export function DueLabel({ due, tz, overdue }: { due: Due; tz: string; overdue: boolean }) {
  return (
    <span className={`due${overdue ? " overdue" : ""}`} data-testid="due">
      <span className="visually-hidden">{overdue ? "Overdue, was due " : "Due "}</span>
      <Icon name={overdue ? "warning" : "calendar"} size={14} />
      {describeDue(due, tz)}
    </span>
  );
}
