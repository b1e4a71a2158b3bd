import { lazy, Suspense, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { TransportProvider } from "@connectrpc/connect-query";
import { Code, ConnectError } from "@connectrpc/connect";
import { AppProvider, useSession } from "./api/AppContext";
import type { App as AppWiring } from "./api/transport";
import { ToastProvider } from "./components/Toasts";
import { LiveSyncProvider } from "./live/LiveSyncProvider";
import { AppLayout } from "./components/AppLayout";
import { DashboardPage } from "./pages/DashboardPage";
import { Spinner } from "./components/Status";
import { DEFAULT_STALE_MS, setLiveFreshness } from "./api/queryKeys";

// Pages other than the dashboard load on demand, with protovalidate (forms only).
const SignInPage = lazy(() => import("./pages/AuthPages").then((m) => ({ default: m.SignInPage })));
const SignUpPage = lazy(() => import("./pages/AuthPages").then((m) => ({ default: m.SignUpPage })));
const TaskEditorPage = lazy(() => import("./pages/TaskEditorPage").then((m) => ({ default: m.TaskEditorPage })));
const TagsPage = lazy(() => import("./pages/TagsPage").then((m) => ({ default: m.TagsPage })));
const ActivityPage = lazy(() => import("./pages/ActivityPage").then((m) => ({ default: m.ActivityPage })));
const NotificationsPage = lazy(() => import("./pages/NotificationsPage").then((m) => ({ default: m.NotificationsPage })));
const SettingsPage = lazy(() => import("./pages/SettingsPage").then((m) => ({ default: m.SettingsPage })));

/**
 * newQueryClient: no retries of client errors, one of transient ones; the live queries
 * start stale by age until the live socket is up (setLiveFreshness).
 */
export function newQueryClient(): QueryClient {
  const qc = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: DEFAULT_STALE_MS,
        retry: (n, e) => {
          const code = e instanceof ConnectError ? e.code : undefined;
          if (code === Code.Unavailable || code === Code.Unknown || code === Code.DeadlineExceeded || code === undefined) return n < 2;
          return false;
        },
      },
    },
  });
  setLiveFreshness(qc, false);
  return qc;
}

function RequireSession({ children }: { children: React.ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/signin" : `/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

function GuestOnly({ children }: { children: React.ReactNode }) {
  return useSession() ? <Navigate to="/" replace /> : <>{children}</>;
}

/** AppRoutes maps URLs to pages. */
export function AppRoutes() {
  return (
    <Suspense fallback={<Spinner />}>
      <Routes>
        <Route path="/signin" element={<GuestOnly><SignInPage /></GuestOnly>} />
        <Route path="/signup" element={<GuestOnly><SignUpPage /></GuestOnly>} />
        <Route
          element={
            <RequireSession>
              <AppLayout />
            </RequireSession>
          }
        >
          <Route index element={<DashboardPage />} />
          <Route path="tasks/new" element={<TaskEditorPage />} />
          <Route path="tasks/:id" element={<TaskEditorPage />} />
          <Route path="tags" element={<TagsPage />} />
          <Route path="activity" element={<ActivityPage />} />
          <Route path="notifications" element={<NotificationsPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

/** App is the whole web app around its wiring (session, transport). */
export function App({ app }: { app: AppWiring }) {
  const [queryClient] = useState(newQueryClient);
  return (
    <AppProvider app={app}>
      <TransportProvider transport={app.transport}>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <ToastProvider>
              <LiveSyncProvider>
                <AppRoutes />
              </LiveSyncProvider>
            </ToastProvider>
          </BrowserRouter>
        </QueryClientProvider>
      </TransportProvider>
    </AppProvider>
  );
}
