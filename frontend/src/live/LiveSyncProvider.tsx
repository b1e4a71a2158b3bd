import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { createClient } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { TaskService } from "../gen/taskmesh/task/v1/task_pb";
import { useApp, useSession } from "../api/AppContext";
import { applyTask, forgetApplied, refreshTask } from "../tasks/taskCache";
import { queryKeys, setLiveFreshness } from "../api/queryKeys";
import type { GetMeResponse } from "../gen/taskmesh/auth/v1/auth_pb";
import { useToasts } from "../components/Toasts";
import { LiveSync, socketTarget, type LiveStatus } from "./liveSync";

const StatusCtx = createContext<LiveStatus>("stopped");

/** useLiveStatus is the state of the live-update socket. */
export function useLiveStatus(): LiveStatus {
  return useContext(StatusCtx);
}

/**
 * LiveSyncProvider keeps the live socket open while signed in: task changes from other
 * tabs and devices patch the query cache (the echo of this tab's own change is a no-op,
 * see applyTask), and fired reminders show a toast and refresh the inbox. While the
 * socket is live the task queries it patches are fresh until invalidated.
 */
export function LiveSyncProvider({ children }: { children: ReactNode }) {
  const { session, transport, baseUrl } = useApp();
  const signedIn = useSession() !== null;
  const qc = useQueryClient();
  const toasts = useToasts();
  const navigate = useNavigate();
  const [status, setStatus] = useState<LiveStatus>("stopped");
  // Kept in refs: navigate changes identity with the location, which must not reopen the socket.
  const navigateRef = useRef(navigate);
  navigateRef.current = navigate;
  const toastsRef = useRef(toasts);
  toastsRef.current = toasts;

  useEffect(() => {
    // Signed out (here or in another tab) or expired: nothing of that user stays cached.
    if (!signedIn) {
      qc.clear();
      forgetApplied(qc);
      return;
    }
    const tasks = createClient(TaskService, transport);
    const live = new LiveSync({
      target: async (since) => {
        const token = await session.accessToken();
        return token ? socketTarget(baseUrl, token, since) : null;
      },
      refreshToken: async () => {
        await session.refresh(session.get()?.accessToken);
      },
      syncTasks: (since) => tasks.syncTasks({ sinceChangeSeq: since, pageSize: 500 }),
      onTask: (t) => applyTask(qc, t),
      onReminder: (n) => {
        void qc.invalidateQueries({ queryKey: queryKeys.notifications });
        refreshTask(qc, n.taskId); // the task's reminder is now marked fired
        const tz = qc.getQueriesData<GetMeResponse>({ queryKey: queryKeys.getMe })[0]?.[1]?.user?.timeZone || undefined;
        const when = n.remindAt ? timestampDate(n.remindAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone: tz }) : "";
        toastsRef.current.show({
          tone: "reminder",
          message: `Reminder: ${n.title}${when ? ` (${when})` : ""}`,
          duration: 15_000,
          action: { label: "Open", run: () => navigateRef.current(`/tasks/${n.taskId}`) },
        });
      },
      onNotificationsRead: () => {
        void qc.invalidateQueries({ queryKey: queryKeys.notifications });
      },
      onReload: (openedAt) => {
        const stale = { predicate: (q: { state: { dataUpdatedAt: number } }) => q.state.dataUpdatedAt < openedAt };
        void qc.invalidateQueries({ queryKey: queryKeys.listTasks, ...stale });
        void qc.invalidateQueries({ queryKey: queryKeys.getTask, ...stale });
        void qc.invalidateQueries({ queryKey: queryKeys.listTags, ...stale });
        void qc.invalidateQueries({ queryKey: queryKeys.notifications, ...stale });
      },
      onStatus: (s) => {
        // Only a live socket keeps the task queries current; otherwise they age as usual.
        setLiveFreshness(qc, s === "live");
        setStatus(s);
      },
    });
    live.start();
    const online = () => live.reconnectNow();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      live.stop();
      setLiveFreshness(qc, false);
    };
  }, [signedIn, session, transport, baseUrl, qc]);

  return <StatusCtx.Provider value={status}>{children}</StatusCtx.Provider>;
}
