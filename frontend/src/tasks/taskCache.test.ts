import { afterEach, describe, expect, it, vi } from "vitest";
import { QueryClient, type InfiniteData, type QueryKey } from "@tanstack/react-query";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import {
  DueSchema,
  ListTasksRequestSchema,
  ListTasksResponseSchema,
  TaskService,
  TaskSortField,
  TaskStatus,
  type ListTasksResponse,
  type Task,
} from "../gen/taskmesh/task/v1/task_pb";
import { ListTagsResponseSchema, TagService, type ListTagsResponse } from "../gen/taskmesh/task/v1/tag_pb";
import { AuditService, ListAuditEntriesResponseSchema } from "../gen/taskmesh/audit/v1/audit_pb";
import { task } from "../test/fixtures";
import { applyTask, listEffect, matches, refreshActivitySoon, refreshTask, tagCountDeltas } from "./taskCache";

const TAG_A = "00000000-0000-4000-8000-0000000000aa";
const TAG_B = "00000000-0000-4000-8000-0000000000bb";

type ListInit = MessageInitShape<typeof ListTasksRequestSchema>;

/** listKey is the key useInfiniteQuery gives the dashboard for input. */
const listKey = (input: ListInit) =>
  createConnectQueryKey({ schema: TaskService.method.listTasks, input: { pageSize: 25, ...input, pageToken: "" }, cardinality: "infinite", pageParamKey: "pageToken" });
const newest = { sortBy: TaskSortField.CREATED_AT, descending: true };

/** A tab's cache: lists seeded with tasks, the tag counts, and an activity log. */
function tab(lists: [ListInit, Task[], hasMore?: boolean][]) {
  const qc = new QueryClient();
  const keys = lists.map(([input, tasks, hasMore]) => {
    const key = listKey(input);
    qc.setQueryData<InfiniteData<ListTasksResponse>>(key, { pages: [create(ListTasksResponseSchema, { tasks, nextPageToken: hasMore ? "more" : "" })], pageParams: [""] });
    return key;
  });
  const tagsKey = createConnectQueryKey({ schema: TagService.method.listTags, input: {}, cardinality: "finite" });
  qc.setQueryData(tagsKey, create(ListTagsResponseSchema, { tags: [{ id: TAG_A, name: "a", taskCount: 1 }, { id: TAG_B, name: "b", taskCount: 0 }] }));
  const auditKey = createConnectQueryKey({ schema: AuditService.method.listAuditEntries, input: { pageSize: 20 }, cardinality: "infinite", pageParamKey: "pageToken" });
  qc.setQueryData<InfiniteData<unknown>>(auditKey, { pages: [create(ListAuditEntriesResponseSchema, {})], pageParams: [""] });
  const titles = (i = 0) => (qc.getQueryData(keys[i]) as InfiniteData<ListTasksResponse>).pages.flatMap((p) => p.tasks.map((t) => t.title));
  const invalidated = (key: QueryKey) => qc.getQueryState(key)?.isInvalidated ?? false;
  const staleLists = () => keys.map((k, i) => (invalidated(k) ? i : -1)).filter((i) => i >= 0);
  const counts = () => Object.fromEntries((qc.getQueryData(tagsKey) as ListTagsResponse).tags.map((t) => [t.name, t.taskCount]));
  return { qc, keys, titles, staleLists, counts, tagsStale: () => invalidated(tagsKey), auditStale: () => invalidated(auditKey) };
}

const at = (iso: string) => timestampFromDate(new Date(iso));
const next = (t: Task, patch: Partial<Task>): Task => ({ ...t, version: t.version + 1n, changeSeq: t.changeSeq + 100n, ...patch });

afterEach(() => vi.useRealTimers());

describe("applyTask is idempotent by change sequence", () => {
  it("ignores the echo of the tab's own change: the second copy changes and invalidates nothing", () => {
    const a = task({ title: "a", createdAt: at("2026-01-01T00:00:00Z") });
    const { qc, titles, staleLists, counts, tagsStale } = tab([[newest, [a]]]);
    const made = task({ title: "mine", tagIds: [TAG_A], createdAt: at("2026-02-01T00:00:00Z") });
    expect(applyTask(qc, made)).toBe(true); // the mutation's answer
    const before = qc.getQueryCache().getAll().map((q) => q.state.dataUpdateCount);
    expect(applyTask(qc, { ...made })).toBe(false); // the WebSocket echo
    expect(qc.getQueryCache().getAll().map((q) => q.state.dataUpdateCount)).toEqual(before);
    expect(titles()).toEqual(["mine", "a"]);
    expect(counts()).toEqual({ a: 2, b: 0 });
    expect(staleLists()).toEqual([]);
    expect(tagsStale()).toBe(false);
  });

  it("ignores the mutation's answer when the echo came first", () => {
    const a = task({ title: "a" });
    const { qc, titles } = tab([[{}, [a]]]);
    const done = next(a, { status: TaskStatus.COMPLETED });
    expect(applyTask(qc, done)).toBe(true);
    expect(applyTask(qc, done)).toBe(false);
    expect(titles()).toEqual(["a"]);
  });

  it("remembers a change to a task no cached view holds", () => {
    const { qc } = tab([]);
    const t = task({ title: "made in the editor", version: 3n, changeSeq: 40n });
    expect(applyTask(qc, t)).toBe(true);
    expect(applyTask(qc, t)).toBe(false);
    expect(applyTask(qc, { ...t, changeSeq: 39n, version: 2n })).toBe(false); // an older copy from SyncTasks
  });
});

describe("applyTask refetches only the lists whose membership or order it cannot settle", () => {
  it("a new task tops a newest-first list without a request; a title-sorted list is refetched", () => {
    const a = task({ title: "a", createdAt: at("2026-01-01T00:00:00Z") });
    const { qc, titles, staleLists, auditStale } = tab([
      [newest, [a]],
      [{ sortBy: TaskSortField.TITLE }, [a]],
      [{ ...newest, status: TaskStatus.COMPLETED }, []],
    ]);
    applyTask(qc, task({ title: "new", createdAt: at("2026-03-01T00:00:00Z") }));
    expect(titles(0)).toEqual(["new", "a"]);
    expect(titles(2)).toEqual([]);
    expect(staleLists()).toEqual([1]);
    expect(auditStale()).toBe(false); // a moment later, see refreshActivitySoon
  });

  it("completing patches the all-tasks list, drops the task from the pending list, refetches the completed list it joins", () => {
    const old = task({ title: "old", createdAt: at("2026-01-01T00:00:00Z") });
    const a = task({ title: "a", createdAt: at("2026-01-02T00:00:00Z") });
    const recent = task({ title: "recent", status: TaskStatus.COMPLETED, createdAt: at("2026-01-05T00:00:00Z") });
    const { qc, titles, staleLists } = tab([
      [newest, [recent, a, old]],
      [{ ...newest, status: TaskStatus.PENDING }, [a, old]],
      [{ ...newest, status: TaskStatus.COMPLETED }, [recent]],
    ]);
    applyTask(qc, next(a, { title: "a done", status: TaskStatus.COMPLETED }));
    expect(titles(0)).toEqual(["recent", "a done", "old"]);
    expect(titles(1)).toEqual(["old"]);
    expect(staleLists()).toEqual([2]); // it belongs somewhere below "recent": the server says where
  });

  it("a rename moves a task only in a title-sorted list, and changes a search's membership", () => {
    const a = task({ title: "buy milk" });
    const { qc, titles, staleLists } = tab([
      [newest, [a]],
      [{ sortBy: TaskSortField.TITLE }, [a]],
      [{ query: "milk" }, [a]],
      [{ priorities: [3] }, []],
    ]);
    applyTask(qc, next(a, { title: "buy bread" }));
    expect(titles(0)).toEqual(["buy bread"]);
    expect(staleLists()).toEqual([1, 2]);
  });

  it("a search keeps a task whose title and description did not change", () => {
    const a = task({ title: "buy milk" });
    const { qc, titles, staleLists } = tab([[{ query: "milk" }, [a]]]);
    applyTask(qc, next(a, { status: TaskStatus.COMPLETED }));
    expect(titles()).toEqual(["buy milk"]);
    expect(staleLists()).toEqual([]);
  });

  it("a task beyond the loaded pages that stays a member at the same place changes nothing", () => {
    const first = task({ title: "first", createdAt: at("2026-05-01T00:00:00Z") });
    const far = task({ title: "far", createdAt: at("2026-01-01T00:00:00Z") });
    const { qc, titles, staleLists } = tab([
      [newest, [first], true],
      [{ status: TaskStatus.PENDING }, [far]], // where this tab saw it
    ]);
    applyTask(qc, next(far, { title: "far, renamed" }));
    expect(titles(0)).toEqual(["first"]);
    expect(titles(1)).toEqual(["far, renamed"]);
    expect(staleLists()).toEqual([]);
  });

  it("a deleted task leaves every list without a refetch; the trash view is refetched", () => {
    const a = task({ title: "a" });
    const b = task({ title: "b" });
    const { qc, titles, staleLists } = tab([
      [newest, [a, b]],
      [{ includeDeleted: true, sortBy: TaskSortField.TITLE }, [a, b]],
    ]);
    applyTask(qc, next(b, { deletedAt: timestampNow() }));
    expect(titles(0)).toEqual(["a"]);
    expect(titles(1)).toEqual(["a", "b"]);
    expect(staleLists()).toEqual([]); // still a member, same title: replaced in place
  });

  it("due-range and overdue lists are refetched when the due date changes", () => {
    const a = task({ title: "a", due: { kind: { case: "at", value: at("2026-01-10T10:00:00Z") } } });
    const { qc, staleLists } = tab([
      [{ dueAfter: at("2026-01-01T00:00:00Z") }, [a]],
      [{ overdue: true }, [a]],
      [{ noDue: true }, []],
      [{}, [a]],
    ]);
    applyTask(qc, next(a, { due: create(DueSchema, { kind: { case: "at", value: at("2026-02-10T10:00:00Z") } }) }));
    expect(staleLists()).toEqual([0, 1]);
  });
});

describe("applyTask patches the tag counts", () => {
  it("counts a new task, a moved tag and a deletion without refetching", () => {
    const a = task({ title: "a", tagIds: [TAG_A], version: 2n });
    const { qc, counts, tagsStale } = tab([[{}, [a]]]);
    const moved = next(a, { tagIds: [TAG_B] });
    applyTask(qc, moved);
    expect(counts()).toEqual({ a: 0, b: 1 });
    applyTask(qc, task({ title: "new", tagIds: [TAG_A, TAG_B] }));
    expect(counts()).toEqual({ a: 1, b: 2 });
    applyTask(qc, next(moved, { deletedAt: timestampNow() }));
    expect(counts()).toEqual({ a: 1, b: 1 });
    expect(tagsStale()).toBe(false);
  });

  it("refetches the counts when the task's earlier tags are unknown", () => {
    const { qc, tagsStale } = tab([]);
    applyTask(qc, task({ title: "restored", version: 4n }));
    expect(tagsStale()).toBe(true);
  });
});

describe("refreshActivitySoon", () => {
  it("invalidates the activity log once, after a burst of changes settles", () => {
    vi.useFakeTimers();
    const { qc, auditStale } = tab([]);
    const spy = vi.spyOn(qc, "invalidateQueries");
    refreshActivitySoon(qc);
    vi.advanceTimersByTime(200);
    refreshActivitySoon(qc);
    vi.advanceTimersByTime(200);
    expect(auditStale()).toBe(false);
    vi.advanceTimersByTime(200);
    expect(auditStale()).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe("refreshTask", () => {
  it("invalidates only the views that hold the task", () => {
    const a = task({ title: "a" });
    const b = task({ title: "b" });
    const { qc, staleLists, tagsStale } = tab([[{}, [a]], [{ status: TaskStatus.PENDING }, [b]]]);
    refreshTask(qc, a.id);
    expect(staleLists()).toEqual([0]);
    expect(tagsStale()).toBe(false);
  });
});

describe("matches and listEffect", () => {
  const t = task({ title: "x", status: TaskStatus.PENDING, priority: 2, tagIds: [TAG_A] });
  it.each([
    ["no filter", {}, true],
    ["status", { status: TaskStatus.COMPLETED }, false],
    ["priority", { priorities: [1, 2] }, true],
    ["every tag", { tagIds: [TAG_A, TAG_B] }, false],
    ["no due", { noDue: true }, true],
    ["a search", { query: "x" }, "unknown"],
    ["a due range", { dueBefore: {} }, "unknown"],
  ] as const)("%s", (_name, input, want) => {
    expect(matches(input, t)).toBe(want);
  });

  it("a deleted task matches only a list that includes deleted ones", () => {
    const gone = { ...t, deletedAt: timestampNow() };
    expect(matches({}, gone)).toBe(false);
    expect(matches({ includeDeleted: true }, gone)).toBe(true);
  });

  it("a copy no newer than the list's does nothing", () => {
    expect(listEffect({}, t, t, t, t)).toBe("none");
  });

  it("tagCountDeltas ignores a tag kept", () => {
    expect(tagCountDeltas(t, next(t, { tagIds: [TAG_A, TAG_B] }))).toEqual(new Map([[TAG_B, 1]]));
    expect(tagCountDeltas(undefined, next(t, {}))).toBeNull();
  });
});
