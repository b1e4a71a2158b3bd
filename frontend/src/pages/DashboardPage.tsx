import { useCallback, useMemo } from "react";
import { Link } from "react-router";
import { useUrlState } from "../lib/useUrlState";
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { TaskService } from "../gen/taskmesh/task/v1/task_pb";
import { useMe } from "../auth/useMe";
import { useTags } from "../tasks/useTags";
import { isFiltered, listRequest, paramsFromView, viewFromParams, type TaskListView } from "../tasks/listParams";
import { SearchBox } from "../components/SearchBox";
import { TaskFilters } from "../components/TaskFilters";
import { TaskList } from "../components/TaskList";
import { EmptyState, ErrorMessage, Spinner } from "../components/Status";

/** DashboardPage is the task list: search, filters and sort (all in the URL), paged as it scrolls. */
export function DashboardPage() {
  const [view, updateView] = useUrlState(viewFromParams, paramsFromView);
  const { tz, user } = useMe();
  const tags = useTags();
  const setView = useCallback(
    // Typing a search replaces the history entry; other changes can be undone with Back.
    (patch: Partial<TaskListView>) => updateView(patch, { replace: Object.keys(patch).length === 1 && "q" in patch }),
    [updateView],
  );
  // A due range is read in the user's time zone, so it waits for the profile.
  const ready = !(view.dueFrom || view.dueTo) || !!user;
  const input = useMemo(() => listRequest(view, tz), [view, tz]);
  const q = useInfiniteQuery(TaskService.method.listTasks, input, {
    pageParamKey: "pageToken",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    enabled: ready,
    placeholderData: (prev) => prev,
  });
  const tasks = useMemo(() => q.data?.pages.flatMap((p) => p.tasks) ?? [], [q.data]);
  return (
    <section className="page dashboard" aria-labelledby="dashboard-title">
      <div className="page-head">
        <h1 id="dashboard-title">Tasks</h1>
        <Link to="/tasks/new" className="button primary">
          + New task
        </Link>
      </div>
      <SearchBox value={view.q} onSearch={(text) => setView({ q: text })} />
      <TaskFilters view={view} tags={tags.tags} onChange={setView} />
      <div className="list-status" aria-live="polite">
        {q.isFetching && !q.isFetchingNextPage && q.data ? <span className="muted">Updating…</span> : null}
      </div>
      {q.isPending && ready ? (
        <Spinner label="Loading tasks…" />
      ) : q.isError && !q.data ? (
        <ErrorMessage error={q.error} retry={() => void q.refetch()} />
      ) : tasks.length === 0 ? (
        isFiltered(view) ? (
          <EmptyState title="No tasks match.">
            <p>Try other filters or a different search.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No tasks yet.">
            <p>
              <Link to="/tasks/new">Create your first task</Link>.
            </p>
          </EmptyState>
        )
      ) : (
        <>
          <TaskList
            tasks={tasks}
            tags={tags.byId}
            tz={tz}
            hasMore={!!q.hasNextPage}
            loadingMore={q.isFetchingNextPage}
            onLoadMore={() => {
              if (q.hasNextPage && !q.isFetchingNextPage) void q.fetchNextPage();
            }}
          />
          {q.isError && <ErrorMessage error={q.error} retry={() => void q.refetch()} />}
        </>
      )}
    </section>
  );
}
