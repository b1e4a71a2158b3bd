import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ListTasksRequestSchema, Priority, TaskSortField, TaskStatus } from "../gen/taskmesh/task/v1/task_pb";
import { zonedToInstant } from "../lib/time";

/** StatusFilter as it appears in the URL. */
export type StatusFilter = "all" | "pending" | "completed";
/** SortKey as it appears in the URL. */
export type SortKey = "created" | "updated" | "due" | "priority" | "title";
export type PriorityKey = "none" | "low" | "medium" | "high";

/** TaskListView is everything that decides what the dashboard shows; it lives in the URL. */
export type TaskListView = {
  q: string;
  status: StatusFilter;
  priorities: PriorityKey[];
  tags: string[];
  /** Due range, "YYYY-MM-DD" in the user's time zone, both inclusive; "" for open. */
  dueFrom: string;
  dueTo: string;
  overdue: boolean;
  sort: SortKey;
  desc: boolean;
};

export const defaultView: TaskListView = {
  q: "",
  status: "all",
  priorities: [],
  tags: [],
  dueFrom: "",
  dueTo: "",
  overdue: false,
  sort: "created",
  desc: true,
};

export const priorityByKey: Record<PriorityKey, Priority> = {
  none: Priority.UNSPECIFIED,
  low: Priority.LOW,
  medium: Priority.MEDIUM,
  high: Priority.HIGH,
};

const sortByKey: Record<SortKey, TaskSortField> = {
  created: TaskSortField.CREATED_AT,
  updated: TaskSortField.UPDATED_AT,
  due: TaskSortField.DUE,
  priority: TaskSortField.PRIORITY,
  title: TaskSortField.TITLE,
};

const statusByKey: Record<StatusFilter, TaskStatus> = {
  all: TaskStatus.UNSPECIFIED,
  pending: TaskStatus.PENDING,
  completed: TaskStatus.COMPLETED,
};

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
const list = (v: string | null) => (v ? v.split(",").filter(Boolean) : []);

/** viewFromParams reads the view from the query string; unknown values fall back to defaults. */
export function viewFromParams(p: URLSearchParams): TaskListView {
  const status = p.get("status") as StatusFilter | null;
  const sort = p.get("sort") as SortKey | null;
  const dir = p.get("dir");
  const from = p.get("from") ?? "";
  const to = p.get("to") ?? "";
  const sortKey: SortKey = sort && sort in sortByKey ? sort : defaultView.sort;
  return {
    q: p.get("q") ?? "",
    status: status && status in statusByKey ? status : defaultView.status,
    priorities: list(p.get("priority")).filter((k): k is PriorityKey => k in priorityByKey),
    tags: list(p.get("tags")),
    dueFrom: isDate(from) ? from : "",
    dueTo: isDate(to) ? to : "",
    overdue: p.get("overdue") === "1",
    sort: sortKey,
    desc: dir === "asc" || dir === "desc" ? dir === "desc" : defaultDescFor(sortKey),
  };
}

/** defaultDescFor: newest first for times and priority, A to Z and soonest first otherwise. */
export function defaultDescFor(sort: SortKey): boolean {
  return sort === "created" || sort === "updated" || sort === "priority";
}

/** paramsFromView writes the view to a query string, leaving defaults out. */
export function paramsFromView(v: TaskListView): URLSearchParams {
  const p = new URLSearchParams();
  if (v.q) p.set("q", v.q);
  if (v.status !== defaultView.status) p.set("status", v.status);
  if (v.priorities.length) p.set("priority", v.priorities.join(","));
  if (v.tags.length) p.set("tags", v.tags.join(","));
  if (v.dueFrom) p.set("from", v.dueFrom);
  if (v.dueTo) p.set("to", v.dueTo);
  if (v.overdue) p.set("overdue", "1");
  if (v.sort !== defaultView.sort) p.set("sort", v.sort);
  if (v.desc !== defaultDescFor(v.sort)) p.set("dir", v.desc ? "desc" : "asc");
  return p;
}

function nextDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** PAGE_SIZE of the dashboard's pages. */
export const PAGE_SIZE = 25;

/** listRequest is the ListTasks input for a view, the due range read in the user's zone. */
export function listRequest(v: TaskListView, tz: string): MessageInitShape<typeof ListTasksRequestSchema> & { pageToken: string } {
  return {
    pageSize: PAGE_SIZE,
    pageToken: "",
    query: v.q.trim(),
    status: statusByKey[v.status],
    priorities: v.priorities.map((k) => priorityByKey[k]),
    tagIds: v.tags,
    dueAfter: v.dueFrom ? timestampFromDate(zonedToInstant(v.dueFrom, "00:00", tz)) : undefined,
    dueBefore: v.dueTo ? timestampFromDate(zonedToInstant(nextDay(v.dueTo), "00:00", tz)) : undefined,
    overdue: v.overdue,
    sortBy: sortByKey[v.sort],
    descending: v.desc,
  };
}

/** isFiltered: the view narrows the list (so "no tasks" means "no match"). */
export function isFiltered(v: TaskListView): boolean {
  return !!(v.q || v.status !== "all" || v.priorities.length || v.tags.length || v.dueFrom || v.dueTo || v.overdue);
}
