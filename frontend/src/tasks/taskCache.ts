import type { InfiniteData, QueryClient, QueryKey } from "@tanstack/react-query";
import { equals } from "@bufbuild/protobuf";
import { DueSchema, TaskSortField, TaskStatus, type ListTasksResponse, type Task } from "../gen/taskmesh/task/v1/task_pb";
import type { ListTagsResponse } from "../gen/taskmesh/task/v1/tag_pb";
import { inputOf, queryKeys } from "../api/queryKeys";

// A task change reaches a tab twice when the tab made it (the mutation's answer, then the
// WebSocket echo) and possibly again through SyncTasks. Each copy carries the change
// sequence number of the task's latest change, so applying is idempotent by it: a copy
// no newer than what the tab already has does nothing at all, whichever copy came first.
//
// A new copy patches every cached view it can decide on its own and refetches only the
// task lists whose membership or order it cannot decide (a search, a due range, a task
// that enters a list anywhere but at the top). Tag counts are patched from the old and
// new tag sets; the activity log is invalidated, which refetches it only while it shows.

/** Filter, sort and paging fields of a ListTasks key input (defaults left out). */
type ListInput = {
  query?: string;
  status?: TaskStatus;
  priorities?: readonly number[];
  tagIds?: readonly string[];
  dueAfter?: unknown;
  dueBefore?: unknown;
  overdue?: boolean;
  noDue?: boolean;
  includeDeleted?: boolean;
  sortBy?: TaskSortField;
  descending?: boolean;
};

/** What a change does to one cached task list. */
export type ListEffect =
  /** Nothing: the list does not hold the task and will not. */
  | "none"
  /** Put the new copy where the old one was. */
  | "replace"
  /** Take the task out. */
  | "remove"
  /** Put the task first (a newest-first list it just joined). */
  | "insertTop"
  /** Only the server can tell where (or whether) the task now sits: refetch the list. */
  | "refetch";

/** newer: incoming is a later change of the task than cached. */
export function newer(incoming: Task, cached: Task | undefined): boolean {
  if (!cached) return true;
  if (incoming.changeSeq !== cached.changeSeq) return incoming.changeSeq > cached.changeSeq;
  return incoming.version > cached.version;
}

const sameDue = (a: Task, b: Task) => (a.due && b.due ? equals(DueSchema, a.due, b.due) : a.due === b.due);

/**
 * matches says whether task t belongs to a list with input i: true, false, or "unknown"
 * when a filter depends on what only the server evaluates (text search, due ranges in the
 * user's zone, overdue against the clock). prev, the list's own copy of the task, settles
 * those filters when the fields they read did not change: the task was in the list.
 */
export function matches(i: ListInput, t: Task, prev?: Task): boolean | "unknown" {
  if (t.deletedAt && !i.includeDeleted) return false;
  if (i.status && i.status !== t.status) return false;
  if (i.priorities?.length && !i.priorities.includes(t.priority)) return false;
  if (i.tagIds?.length && !i.tagIds.every((id) => t.tagIds.includes(id))) return false;
  if (i.noDue && t.due) return false;
  if (i.overdue && t.status !== TaskStatus.PENDING) return false;
  let known = true;
  if (i.query && !(prev && prev.title === t.title && prev.description === t.description)) known = false;
  if ((i.dueAfter || i.dueBefore || i.overdue) && !(prev && sameDue(prev, t))) known = false;
  // overdue also needs the task to have been pending: time only makes a task more overdue.
  if (i.overdue && prev && prev.status !== TaskStatus.PENDING) known = false;
  return known ? true : "unknown";
}

const ms = (ts: { seconds: bigint; nanos: number } | undefined) => (ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : 0);

/** sortKeyChanged: the list's sort field differs between the two copies, so may its place. */
function sortKeyChanged(i: ListInput, a: Task, b: Task): boolean {
  switch (i.sortBy ?? TaskSortField.CREATED_AT) {
    case TaskSortField.CREATED_AT:
      return ms(a.createdAt) !== ms(b.createdAt);
    case TaskSortField.UPDATED_AT:
      return ms(a.updatedAt) !== ms(b.updatedAt);
    case TaskSortField.DUE:
      return !sameDue(a, b);
    case TaskSortField.PRIORITY:
      return a.priority !== b.priority;
    case TaskSortField.TITLE:
      return a.title.toLowerCase() !== b.title.toLowerCase();
    default:
      return true;
  }
}

/** fitsAtTop: a newest-first list shows t before first (the server's order: created_at, then id). */
function fitsAtTop(i: ListInput, t: Task, first: Task | undefined): boolean {
  if ((i.sortBy ?? TaskSortField.CREATED_AT) !== TaskSortField.CREATED_AT || i.descending !== true) return false;
  if (!first) return true;
  const a = ms(t.createdAt);
  const b = ms(first.createdAt);
  return a > b || (a === b && t.id > first.id);
}

/**
 * listEffect decides what the change to incoming does to one cached list with input i.
 * inList is the list's own copy of the task (undefined when no loaded page holds it);
 * before is the tab's newest copy from anywhere, to tell that a task outside the loaded
 * pages stays where it was; first is the list's first task.
 */
export function listEffect(i: ListInput, incoming: Task, inList: Task | undefined, before: Task | undefined, first: Task | undefined): ListEffect {
  if (inList) {
    if (!newer(incoming, inList)) return "none";
    const m = matches(i, incoming, inList);
    if (m === false) return "remove";
    if (m === "unknown" || sortKeyChanged(i, inList, incoming)) return "refetch";
    return "replace";
  }
  const m = matches(i, incoming);
  if (m === false) return "none";
  if (m === true && fitsAtTop(i, incoming, first)) return "insertTop";
  // Already a member beyond the loaded pages, and still one at the same place.
  if (m === true && before && matches(i, before) === true && !sortKeyChanged(i, before, incoming)) return "none";
  return "refetch";
}

/**
 * tagCountDeltas is how each tag's task count (tasks not deleted) changes from before to
 * after; null when before is unknown and after is not a new task, so the counts cannot
 * be patched.
 */
export function tagCountDeltas(before: Task | undefined, after: Task): Map<string, number> | null {
  if (!before && after.version !== 1n) return null;
  const counted = (t: Task | undefined) => (t && !t.deletedAt ? t.tagIds : []);
  const d = new Map<string, number>();
  for (const id of counted(before)) d.set(id, (d.get(id) ?? 0) - 1);
  for (const id of counted(after)) d.set(id, (d.get(id) ?? 0) + 1);
  for (const [id, n] of d) if (n === 0) d.delete(id);
  return d;
}

/** The newest copy of each task this tab applied, per query client (cleared with it). */
const applied = new WeakMap<QueryClient, Map<string, Task>>();

/** forgetApplied drops what applyTask remembers (on sign-out, with the cache). */
export function forgetApplied(qc: QueryClient): void {
  applied.delete(qc);
}

type Pages = InfiniteData<ListTasksResponse>;

/** newestCached is the newest copy of the task in the lists, GetTask results and applied copies. */
function newestCached(qc: QueryClient, id: string): Task | undefined {
  let best = applied.get(qc)?.get(id);
  const consider = (t: Task | undefined) => {
    if (t && t.id === id && newer(t, best)) best = t;
  };
  for (const [, data] of qc.getQueriesData<Pages>({ queryKey: queryKeys.listTasks })) {
    for (const page of data?.pages ?? []) consider(page.tasks?.find((t) => t.id === id));
  }
  for (const [, data] of qc.getQueriesData<{ task?: Task }>({ queryKey: queryKeys.getTask })) consider(data?.task);
  return best;
}

const activityTimers = new WeakMap<QueryClient, ReturnType<typeof setTimeout>>();

/**
 * refreshActivitySoon invalidates the activity log once a burst of changes has settled
 * (the audit service writes its entry a moment after the change); only a log on screen
 * is refetched, the others are marked stale.
 */
export function refreshActivitySoon(qc: QueryClient, delayMs = 300): void {
  clearTimeout(activityTimers.get(qc));
  activityTimers.set(
    qc,
    setTimeout(() => {
      activityTimers.delete(qc);
      void qc.invalidateQueries({ queryKey: queryKeys.auditEntries });
    }, delayMs),
  );
}

/**
 * applyTask applies one copy of a task (a mutation's answer, a live update, a SyncTasks
 * change) to every cached view and reports whether it was new to this tab. A copy no
 * newer than the tab's is ignored entirely: the echo of the tab's own change costs
 * nothing. A new one patches the lists, GetTask results and tag counts in place and
 * invalidates only the lists whose membership or order it cannot settle (listEffect),
 * which refetches those on screen and marks the others stale.
 */
export function applyTask(qc: QueryClient, task: Task): boolean {
  const before = newestCached(qc, task.id);
  if (before && !newer(task, before)) return false;
  let seen = applied.get(qc);
  if (!seen) applied.set(qc, (seen = new Map()));
  seen.set(task.id, task);

  const refetch: QueryKey[] = [];
  for (const [key, data] of qc.getQueriesData<Pages>({ queryKey: queryKeys.listTasks })) {
    if (!data?.pages?.length) continue;
    const inList = data.pages.flatMap((p) => p.tasks).find((t) => t.id === task.id);
    const effect = listEffect((inputOf(key) ?? {}) as ListInput, task, inList, before, data.pages[0].tasks[0]);
    if (effect === "none") continue;
    if (effect === "refetch") refetch.push(key);
    let pages = data.pages;
    if (effect === "insertTop") {
      pages = [{ ...pages[0], tasks: [task, ...pages[0].tasks] }, ...pages.slice(1)];
    } else if (inList) {
      // While a refetch is on its way, show the new copy where the old one was.
      const drop = effect === "remove" || (effect === "refetch" && !!task.deletedAt);
      pages = pages.map((p) => {
        if (!p.tasks.some((t) => t.id === task.id)) return p;
        return { ...p, tasks: drop ? p.tasks.filter((t) => t.id !== task.id) : p.tasks.map((t) => (t.id === task.id ? task : t)) };
      });
    }
    if (pages !== data.pages) qc.setQueryData<Pages>(key, { ...data, pages });
  }
  for (const [key, data] of qc.getQueriesData<{ task?: Task }>({ queryKey: queryKeys.getTask })) {
    if (data?.task?.id === task.id && newer(task, data.task)) qc.setQueryData(key, { ...data, task });
  }

  const deltas = tagCountDeltas(before, task);
  if (deltas === null) {
    void qc.invalidateQueries({ queryKey: queryKeys.listTags });
  } else if (deltas.size) {
    qc.setQueriesData<ListTagsResponse>({ queryKey: queryKeys.listTags }, (data) =>
      data ? { ...data, tags: data.tags.map((g) => (deltas.has(g.id) ? { ...g, taskCount: Math.max(0, g.taskCount + deltas.get(g.id)!) } : g)) } : data,
    );
  }
  for (const key of refetch) void qc.invalidateQueries({ queryKey: key, exact: true });
  refreshActivitySoon(qc);
  return true;
}

/**
 * refreshTask invalidates the views that hold a task changed in a way no task copy
 * announces (a reminder fired): its GetTask results and the lists that show it.
 */
export function refreshTask(qc: QueryClient, id: string): void {
  void qc.invalidateQueries({
    predicate: (q) => {
      const data = q.state.data as Partial<Pages> & { task?: Task } | undefined;
      if (data?.task) return data.task.id === id;
      return !!data?.pages?.some((p) => p.tasks?.some((t) => t.id === id));
    },
  });
}

/** findCachedTask looks for a task in the cached lists (for an instant editor). */
export function findCachedTask(qc: QueryClient, id: string): Task | undefined {
  for (const [, data] of qc.getQueriesData<Pages>({ queryKey: queryKeys.listTasks })) {
    for (const page of data?.pages ?? []) {
      const t = page.tasks?.find((x) => x.id === id);
      if (t) return t;
    }
  }
  return undefined;
}
