import { Suspense } from "react";
import { Icon } from "./Icon";
import { NavLink, Outlet, useNavigate } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";
import { useApp } from "../api/AppContext";
import { useMe } from "../auth/useMe";
import { useLiveStatus } from "../live/LiveSyncProvider";
import { NotificationBell } from "./NotificationBell";
import { Spinner } from "./Status";

/** LiveIndicator says whether changes from elsewhere arrive live. */
function LiveIndicator() {
  const s = useLiveStatus();
  const label = s === "live" ? "Live" : s === "stopped" ? "Offline" : s === "connecting" ? "Connecting…" : "Reconnecting…";
  return (
    <span className={`live live-${s}`} role="status" title={s === "live" ? "Changes from other tabs and devices appear here as they happen." : "Live updates paused; they resume and catch up on their own."}>
      <span className="live-dot" aria-hidden="true" />
      <span className="nav-text">{label}</span>
      <span className="visually-hidden">{s === "live" ? "" : label}</span>
    </span>
  );
}

/** AppLayout is the signed-in frame: navigation, live status, user menu and the page. */
export function AppLayout() {
  const { session } = useApp();
  const { user } = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation(AuthService.method.signOut);
  const doSignOut = () => {
    const s = session.get();
    if (s) signOut.mutate({ refreshToken: s.refreshToken });
    session.set(null, "signed-out");
    qc.clear();
    navigate("/signin", { replace: true });
  };
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="app-header">
        <NavLink to="/" className="brand" aria-label="Taskmesh home">
          <Icon name="check" size={18} /> <span className="nav-text">Taskmesh</span>
        </NavLink>
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/" end className="nav-link">
            Tasks
          </NavLink>
          <NavLink to="/tags" className="nav-link">
            Tags
          </NavLink>
          <NavLink to="/activity" className="nav-link">
            Activity
          </NavLink>
          <NotificationBell />
        </nav>
        <div className="header-end">
          <LiveIndicator />
          <NavLink to="/settings" className="nav-link" aria-label={`Settings${user ? ` for ${user.displayName || user.email}` : ""}`}>
            <Icon name="gear" />
            <span className="nav-text">{user?.displayName || "Settings"}</span>
          </NavLink>
          <button type="button" className="button small" onClick={doSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Spinner />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
