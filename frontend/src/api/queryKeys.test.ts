import { describe, expect, it } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { createRouterTransport } from "@connectrpc/connect";
import { TaskService, TaskStatus } from "../gen/taskmesh/task/v1/task_pb";
import { TagService } from "../gen/taskmesh/task/v1/tag_pb";
import { AuditService } from "../gen/taskmesh/audit/v1/audit_pb";
import { NotificationService } from "../gen/taskmesh/notification/v1/notification_pb";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";
import { DEFAULT_STALE_MS, TAGS_STALE_MS, inputOf, queryKeys, setLiveFreshness } from "./queryKeys";

// The keys the hooks make: with the transport, the input, and the cardinality.
const transport = createRouterTransport(() => {});
const made = {
  dashboard: createConnectQueryKey({ schema: TaskService.method.listTasks, transport, input: { pageSize: 25, pageToken: "", status: TaskStatus.PENDING }, cardinality: "infinite", pageParamKey: "pageToken" }),
  editor: createConnectQueryKey({ schema: TaskService.method.getTask, transport, input: { id: "x" }, cardinality: "finite" }),
  tags: createConnectQueryKey({ schema: TagService.method.listTags, transport, input: {}, cardinality: "finite" }),
  activity: createConnectQueryKey({ schema: AuditService.method.listAuditEntries, transport, input: { pageSize: 20, pageToken: "" }, cardinality: "infinite", pageParamKey: "pageToken" }),
  bell: createConnectQueryKey({ schema: NotificationService.method.listNotifications, transport, input: { unreadOnly: true, pageSize: 1 }, cardinality: "finite" }),
  inbox: createConnectQueryKey({ schema: NotificationService.method.listNotifications, transport, input: { pageSize: 30, pageToken: "" }, cardinality: "infinite", pageParamKey: "pageToken" }),
  me: createConnectQueryKey({ schema: AuthService.method.getMe, transport, input: {}, cardinality: "finite" }),
  preview: createConnectQueryKey({ schema: TaskService.method.previewOccurrences, transport, input: {}, cardinality: "finite" }),
};

describe("queryKeys", () => {
  const qc = new QueryClient();
  // Any data does: the test reads back which queries a prefix finds.
  for (const [name, key] of Object.entries(made)) qc.setQueryData<{ name: string }>(key as readonly unknown[], { name });
  const matched = (prefix: readonly unknown[]) =>
    qc
      .getQueriesData<{ name: string }>({ queryKey: prefix })
      .map(([, d]) => d?.name)
      .sort();

  it.each([
    ["listTasks", ["dashboard"]],
    ["getTask", ["editor"]],
    ["listTags", ["tags"]],
    ["auditEntries", ["activity"]],
    ["notifications", ["bell", "inbox"]],
    ["getMe", ["me"]],
  ] as const)("%s matches exactly the queries of its method", (name, want) => {
    expect(matched(queryKeys[name])).toEqual(want);
  });

  it("inputOf reads the input a key was made for", () => {
    expect(inputOf(made.dashboard)).toEqual({ pageSize: 25, status: TaskStatus.PENDING });
    expect(inputOf(queryKeys.listTasks)).toBeUndefined();
  });
});

describe("setLiveFreshness", () => {
  it("keeps the live queries fresh until invalidated while the socket is live, and only those", () => {
    const qc = new QueryClient();
    const stale = (key: readonly unknown[]) => qc.getQueryDefaults(key).staleTime;
    setLiveFreshness(qc, true);
    expect([stale(made.dashboard), stale(made.editor), stale(made.tags)]).toEqual([Infinity, Infinity, Infinity]);
    expect([stale(made.activity), stale(made.bell), stale(made.me)]).toEqual([undefined, undefined, undefined]);
    setLiveFreshness(qc, false);
    expect([stale(made.dashboard), stale(made.editor), stale(made.tags)]).toEqual([DEFAULT_STALE_MS, DEFAULT_STALE_MS, TAGS_STALE_MS]);
  });

  it("lets an overdue list age while live: time makes tasks overdue without a change", () => {
    const qc = new QueryClient();
    setLiveFreshness(qc, false);
    setLiveFreshness(qc, true);
    const overdue = createConnectQueryKey({ schema: TaskService.method.listTasks, transport, input: { pageSize: 25, pageToken: "", overdue: true }, cardinality: "infinite", pageParamKey: "pageToken" });
    expect(qc.getQueryDefaults(overdue).staleTime).toBe(DEFAULT_STALE_MS);
    expect(qc.getQueryDefaults(made.dashboard).staleTime).toBe(Infinity);
  });
});
