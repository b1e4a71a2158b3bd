import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { TaskService } from "../gen/taskmesh/task/v1/task_pb";
import { TagService } from "../gen/taskmesh/task/v1/tag_pb";
import { AuditService } from "../gen/taskmesh/audit/v1/audit_pb";
import { NotificationService } from "../gen/taskmesh/notification/v1/notification_pb";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";

/**
 * queryKeys are the one list of the query-key prefixes the app reads, patches or
 * invalidates. Each matches every cached query of its method (or service), whatever the
 * input, finite or infinite, because connect-query keys are matched by prefix and a
 * prefix made without cardinality leaves it out.
 */
export const queryKeys = {
  listTasks: createConnectQueryKey({ schema: TaskService.method.listTasks, cardinality: undefined }),
  getTask: createConnectQueryKey({ schema: TaskService.method.getTask, cardinality: undefined }),
  listTags: createConnectQueryKey({ schema: TagService.method.listTags, cardinality: undefined }),
  auditEntries: createConnectQueryKey({ schema: AuditService.method.listAuditEntries, cardinality: undefined }),
  /** Every NotificationService query: the inbox pages and the bell's unread count. */
  notifications: createConnectQueryKey({ schema: NotificationService, cardinality: undefined }),
  getMe: createConnectQueryKey({ schema: AuthService.method.getMe, cardinality: undefined }),
} as const;

/**
 * liveKeys are the queries the live socket keeps current: every task change patches them
 * (or invalidates the ones it cannot patch), so while the socket is live they never go
 * stale by age, only by invalidation.
 */
export const liveKeys: readonly QueryKey[] = [queryKeys.listTasks, queryKeys.getTask, queryKeys.listTags];

/** How long a query stays fresh when the live socket is not keeping it current. */
export const DEFAULT_STALE_MS = 10_000;
/** Tag names change rarely and only here; their counts follow task changes. */
export const TAGS_STALE_MS = 30_000;

/**
 * setLiveFreshness makes the live queries fresh until invalidated while the socket is
 * live, and stale by age (the defaults) otherwise, so that going back to a page does not
 * refetch what the socket has been patching all along.
 */
export function setLiveFreshness(qc: QueryClient, live: boolean): void {
  qc.setQueryDefaults(queryKeys.listTasks, { staleTime: live ? Infinity : DEFAULT_STALE_MS });
  // Set after the one above, so it wins for these lists: a task turns overdue with no
  // change to announce it, so an overdue list ages even while the socket is live.
  qc.setQueryDefaults(overdueListsKey, { staleTime: DEFAULT_STALE_MS });
  qc.setQueryDefaults(queryKeys.getTask, { staleTime: live ? Infinity : DEFAULT_STALE_MS });
  qc.setQueryDefaults(queryKeys.listTags, { staleTime: live ? Infinity : TAGS_STALE_MS });
}

/** overdueListsKey matches the ListTasks queries with the overdue filter on. */
const overdueListsKey = createConnectQueryKey({ schema: TaskService.method.listTasks, input: { overdue: true }, cardinality: undefined });

/** inputOf is the request input a connect-query key was made for (undefined for a prefix). */
export function inputOf(key: QueryKey): Record<string, unknown> | undefined {
  const input = (key[1] as { input?: unknown } | undefined)?.input;
  return input && typeof input === "object" ? (input as Record<string, unknown>) : undefined;
}
