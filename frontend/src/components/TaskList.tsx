import { useEffect, useRef } from "react";
import type { Task } from "../gen/taskmesh/task/v1/task_pb";
import type { Tag } from "../gen/taskmesh/task/v1/tag_pb";
import { TaskCard } from "./TaskCard";
import { useTaskActions } from "../tasks/useTaskActions";

type Props = {
  tasks: Task[];
  tags: Map<string, Tag>;
  tz: string;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
};

/**
 * TaskList renders the loaded tasks and loads the next page when its end scrolls into view
 * (or when the "Load more" button is pressed, for keyboards and old browsers).
 */
export function TaskList({ tasks, tags, tz, hasMore, loadingMore, onLoadMore }: Props) {
  const actions = useTaskActions();
  const sentinel = useRef<HTMLDivElement>(null);
  const loadMore = useRef(onLoadMore);
  loadMore.current = onLoadMore;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore || typeof IntersectionObserver === "undefined") return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore.current();
    }, { rootMargin: "200px" });
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore, tasks.length]);
  return (
    <>
      <ul className="task-list" aria-label="Tasks">
        {tasks.map((t) => (
          <TaskCard
            key={t.id}
            task={t}
            tags={tags}
            tz={tz}
            busy={actions.busyId === t.id}
            onComplete={actions.complete}
            onReopen={actions.reopen}
            onDelete={actions.remove}
          />
        ))}
      </ul>
      <div ref={sentinel} className="list-end">
        {hasMore && (
          <button type="button" className="button" onClick={onLoadMore} disabled={loadingMore}>
            {loadingMore ? "Loading…" : "Load more"}
          </button>
        )}
      </div>
    </>
  );
}
