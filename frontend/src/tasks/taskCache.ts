import type { QueryClient, InfiniteData } from "@tanstack/react-query";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import type { ListTasksResponse, Task } from "../gen/taskmesh/task/v1/task_pb";
import { TaskService, TaskSortField } from "../gen/taskmesh/task/v1/task_pb";
import { TagService } from "../gen/taskmesh/task/v1/tag_pb";
import { AuditService } from "../gen/taskmesh/audit/v1/audit_pb";

/** Key prefixes that match every cached query of a method, whatever its input. */
export const listTasksKey = createConnectQueryKey({ schema: TaskService.method.listTasks, cardinality: undefined });
export const getTaskKey = createConnectQueryKey({ schema: TaskService.method.getTask, cardinality: undefined });
export const listTagsKey = createConnectQueryKey({ schema: TagService.method.listTags, cardinality: undefined });
export const auditKey = createConnectQueryKey({ schema: AuditService.method.listAuditEntries, cardinality: undefined });

/** isNewer: a copy of the task at least as recent as the cached one. */
function isNewer(incoming: Task, cached: Task): boolean {
  if (incoming.changeSeq !== cached.changeSeq) return incoming.changeSeq > cached.changeSeq;
  return incoming.version >= cached.version;
}

const pending = new WeakMap<QueryClient, ReturnType<typeof setTimeout>>();

/**
 * refetchSoon invalidates the task lists, tag counts and activity log once a burst of
 * changes has settled, so that membership and order (which only the server knows for
 * every filter) catch up with the patched copies.
 */
export function refetchSoon(qc: QueryClient, delayMs = 150): void {
  const t = pending.get(qc);
  if (t) clearTimeout(t);
  pending.set(
    qc,
    setTimeout(() => {
      pending.delete(qc);
      void qc.invalidateQueries({ queryKey: listTasksKey });
      void qc.invalidateQueries({ queryKey: listTagsKey });
      void qc.invalidateQueries({ queryKey: auditKey });
    }, delayMs),
  );
}

const newestFirstKeys = new Set(["pageSize", "status", "priorities", "tagIds", "sortBy", "descending"]);

/**
 * showsAtTop: a list with this input (a query key's input: defaults left out) puts task
 * first when the task is new — newest first, and no filter the client cannot check.
 */
function showsAtTop(input: unknown, t: Task): boolean {
  if (!input || typeof input !== "object" || t.deletedAt) return false;
  const i = input as Record<string, unknown>;
  if (Object.keys(i).some((k) => !newestFirstKeys.has(k))) return false;
  if ((i.sortBy ?? TaskSortField.CREATED_AT) !== TaskSortField.CREATED_AT || i.descending !== true) return false;
  if (i.status !== undefined && i.status !== t.status) return false;
  const priorities = i.priorities as number[] | undefined;
  if (priorities?.length && !priorities.includes(t.priority)) return false;
  const tags = i.tagIds as string[] | undefined;
  return !tags?.length || tags.every((id) => t.tagIds.includes(id));
}

const createdMs = (t: Task) => (t.createdAt ? Number(t.createdAt.seconds) * 1000 + t.createdAt.nanos / 1e6 : 0);

/**
 * applyTask patches every cached copy of task at once: it replaces the task in each list
 * page and GetTask result when it is newer than the cached copy, removes a deleted task
 * from the lists, and puts a new task at the top of the newest-first lists it belongs to.
 * It then schedules a refetch of the lists (refetchSoon), which settles membership and
 * order for every other view. Applying the same change twice has no further effect.
 */
export function applyTask(qc: QueryClient, task: Task, opts: { refetch?: boolean } = {}): void {
  for (const [key, data] of qc.getQueriesData<InfiniteData<ListTasksResponse>>({ queryKey: listTasksKey })) {
    const first = data?.pages?.[0];
    if (!first || data.pages.some((p) => p.tasks.some((t) => t.id === task.id))) continue;
    const input = (key[1] as { input?: unknown } | undefined)?.input;
    if (!showsAtTop(input, task)) continue;
    if (first.tasks.length && createdMs(first.tasks[0]) > createdMs(task)) continue;
    qc.setQueryData(key, { ...data, pages: [{ ...first, tasks: [task, ...first.tasks] }, ...data.pages.slice(1)] });
  }
  qc.setQueriesData<InfiniteData<ListTasksResponse>>({ queryKey: listTasksKey }, (data) => {
    if (!data?.pages) return data;
    let changed = false;
    const pages = data.pages.map((page) => {
      const i = page.tasks.findIndex((t) => t.id === task.id);
      if (i < 0) return page;
      const cached = page.tasks[i];
      if (!isNewer(task, cached)) return page;
      changed = true;
      const tasks = task.deletedAt ? page.tasks.filter((t) => t.id !== task.id) : page.tasks.map((t, j) => (j === i ? task : t));
      return { ...page, tasks };
    });
    return changed ? { ...data, pages } : data;
  });
  for (const [key, data] of qc.getQueriesData<{ task?: Task }>({ queryKey: getTaskKey })) {
    if (data?.task?.id === task.id && isNewer(task, data.task)) {
      qc.setQueryData(key, { ...data, task });
    }
  }
  if (opts.refetch !== false) refetchSoon(qc);
}

/** findCachedTask looks for a task in the cached lists (for an instant editor). */
export function findCachedTask(qc: QueryClient, id: string): Task | undefined {
  for (const [, data] of qc.getQueriesData<InfiniteData<ListTasksResponse>>({ queryKey: listTasksKey })) {
    for (const page of data?.pages ?? []) {
      const t = page.tasks?.find((x) => x.id === id);
      if (t) return t;
    }
  }
  return undefined;
}
