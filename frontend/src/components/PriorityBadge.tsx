import { Priority } from "../gen/taskmesh/task/v1/task_pb";

const labels: Record<number, [string, string]> = {
  [Priority.LOW]: ["Low", "low"],
  [Priority.MEDIUM]: ["Medium", "medium"],
  [Priority.HIGH]: ["High", "high"],
};

/** PriorityBadge shows a task's priority: low green, medium blue, high red; nothing when unset. */
export function PriorityBadge({ priority }: { priority: Priority }) {
  const l = labels[priority];
  if (!l) return null;
  return (
    <span className={`badge priority-${l[1]}`} data-priority={l[1]} aria-label={`${l[0]} priority`}>
      {l[0]}
    </span>
  );
}
