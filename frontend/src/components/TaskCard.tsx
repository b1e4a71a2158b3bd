import { memo } from "react";
import { Icon } from "./Icon";
import { Link } from "react-router";
import { TaskStatus, type Task } from "../gen/taskmesh/task/v1/task_pb";
import type { Tag } from "../gen/taskmesh/task/v1/tag_pb";
import { PriorityBadge } from "./PriorityBadge";
import { TagChip } from "./TagChip";
import { DueLabel } from "./DueLabel";
import { describeRule } from "../tasks/recurrenceText";
import { isOverdue } from "../tasks/due";

type Props = {
  task: Task;
  tags: Map<string, Tag>;
  tz: string;
  busy?: boolean;
  onComplete: (t: Task) => void;
  onReopen: (t: Task) => void;
  onDelete: (t: Task) => void;
};

/** TaskCard is one task in the list: done toggle, title, priority, tags, due, indicators, delete. */
export const TaskCard = memo(function TaskCard({ task, tags, tz, busy, onComplete, onReopen, onDelete }: Props) {
  const done = task.status === TaskStatus.COMPLETED;
  const overdue = isOverdue(task, tz);
  const pendingReminders = task.reminders.filter((r) => !r.firedAt).length;
  return (
    <li className={`task-card${done ? " is-done" : ""}${overdue ? " is-overdue" : ""}`} data-testid="task-card" data-task-id={task.id}>
      <button
        type="button"
        className={`check${done ? " checked" : ""}`}
        aria-label={done ? `Reopen “${task.title}”` : `Complete “${task.title}”`}
        aria-pressed={done}
        disabled={busy}
        onClick={() => (done ? onReopen(task) : onComplete(task))}
      >
        {done ? <Icon name="check" size={14} /> : null}
      </button>
      <div className="task-main">
        <Link to={`/tasks/${task.id}`} className="task-title">
          {task.title}
        </Link>
        <div className="task-meta">
          <PriorityBadge priority={task.priority} />
          {task.tagIds.map((id) => {
            const tag = tags.get(id);
            return tag ? <TagChip key={id} tag={tag} /> : null;
          })}
          {task.due && <DueLabel due={task.due} tz={tz} overdue={overdue} />}
          {task.recurrence && (
            <span className="indicator" title={describeRule(task.recurrence)}>
              <Icon name="repeat" size={14} />
              <span className="visually-hidden">Repeats: </span>
              <span className="indicator-text">{describeRule(task.recurrence)}</span>
            </span>
          )}
          {task.reminders.length > 0 && (
            <span className="indicator" title={`${task.reminders.length} reminder(s)`}>
              <Icon name="bell" size={14} />
              <span className="visually-hidden">Reminders: </span>
              {pendingReminders}/{task.reminders.length}
            </span>
          )}
        </div>
      </div>
      <button type="button" className="icon-button danger" aria-label={`Delete “${task.title}”`} disabled={busy} onClick={() => onDelete(task)}>
        <Icon name="trash" size={18} />
      </button>
    </li>
  );
});
