import { Link } from "react-router";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useInfiniteQuery, useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { NotificationService, type Notification } from "../gen/taskmesh/notification/v1/notification_pb";
import { useMe } from "../auth/useMe";
import { queryKeys } from "../api/queryKeys";
import { describeDue } from "../tasks/due";
import { formatInstant } from "../lib/time";
import { EmptyState, ErrorMessage, Spinner } from "../components/Status";
import { useToasts } from "../components/Toasts";
import { messageOf } from "../api/errors";

/** NotificationsPage is the inbox of fired reminders: unread first in mind, mark one or all read. */
export function NotificationsPage() {
  const { tz } = useMe();
  const qc = useQueryClient();
  const toasts = useToasts();
  const q = useInfiniteQuery(NotificationService.method.listNotifications, { pageSize: 30, pageToken: "" }, {
    pageParamKey: "pageToken",
    getNextPageParam: (last) => last.nextPageToken || undefined,
  });
  const mark = useMutation(NotificationService.method.markNotificationsRead, {
    onSuccess: () => void qc.invalidateQueries({ queryKey: queryKeys.notifications }),
    onError: (e) => toasts.show({ tone: "error", message: messageOf(e) }),
  });
  const items = q.data?.pages.flatMap((p) => p.notifications) ?? [];
  const unread = q.data?.pages[0]?.unreadCount ?? 0;
  return (
    <section className="page inbox" aria-labelledby="inbox-title">
      <div className="page-head">
        <h1 id="inbox-title">Notifications</h1>
        <button type="button" className="button" disabled={unread === 0 || mark.isPending} onClick={() => mark.mutate({ all: true })}>
          Mark all read
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {unread === 0 ? "Nothing unread." : `${unread} unread`}
      </p>
      {q.isPending ? (
        <Spinner label="Loading notifications…" />
      ) : q.isError ? (
        <ErrorMessage error={q.error} retry={() => void q.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No notifications yet.">
          <p>When a reminder fires it shows up here.</p>
        </EmptyState>
      ) : (
        <>
          <ul className="notification-list" aria-label="Notifications">
            {items.map((n) => (
              <NotificationItem key={n.id} n={n} tz={tz} onRead={() => mark.mutate({ ids: [n.id] })} />
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="list-end">
              <button type="button" className="button" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                Older notifications
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function NotificationItem({ n, tz, onRead }: { n: Notification; tz: string; onRead: () => void }) {
  const unread = !n.readAt;
  return (
    <li className={`notification${unread ? " unread" : ""}`} data-testid="notification">
      <span className="visually-hidden">{unread ? "Unread: " : ""}</span>
      <div className="task-main">
        <Link to={`/tasks/${n.taskId}`} className="task-title">
          {n.title}
        </Link>
        <div className="task-meta">
          {n.remindAt && <span>Reminder for {formatInstant(timestampDate(n.remindAt), tz, true)}</span>}
          {n.due && <span>· due {describeDue(n.due, tz)}</span>}
        </div>
      </div>
      {unread && (
        <button type="button" className="button" onClick={onRead} aria-label={`Mark “${n.title}” read`}>
          Mark read
        </button>
      )}
    </li>
  );
}
