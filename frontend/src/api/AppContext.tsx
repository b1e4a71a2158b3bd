import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { App } from "./transport";
import type { StoredSession } from "./session";

const Ctx = createContext<App | null>(null);

/** AppProvider hands the session store and transport to the tree. */
export function AppProvider({ app, children }: { app: App; children: ReactNode }) {
  return <Ctx.Provider value={app}>{children}</Ctx.Provider>;
}

/** useApp returns the app wiring (session, transport). */
export function useApp(): App {
  const app = useContext(Ctx);
  if (!app) throw new Error("useApp outside AppProvider");
  return app;
}

/** useSession is the current session (null when signed out), live across tabs. */
export function useSession(): StoredSession | null {
  const { session } = useApp();
  return useSyncExternalStore(
    (cb) => session.subscribe(cb),
    () => session.get(),
  );
}
