import { NavLink } from "react-router";
import { Icon } from "./Icon";
import { useQuery } from "@connectrpc/connect-query";
import { NotificationService } from "../gen/taskmesh/notification/v1/notification_pb";

/** NotificationBell is the inbox link with the unread count. */
export function NotificationBell() {
  const q = useQuery(NotificationService.method.listNotifications, { unreadOnly: true, pageSize: 1 }, { retry: 1, staleTime: 30_000 });
  const unread = q.data?.unreadCount ?? 0;
  return (
    <NavLink to="/notifications" className="nav-link bell" aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}>
      <Icon name="bell" />
      <span className="nav-text">Inbox</span>
      {unread > 0 && (
        <span className="count-badge" aria-hidden="true" data-testid="unread-count">
          {unread > 99 ? "99+" : unread}
        </span>
      )}
    </NavLink>
  );
}
