import type { ReactNode } from "react";
import { render } from "@testing-library/react";
import { QueryClientProvider } from "@tanstack/react-query";
import { TransportProvider } from "@connectrpc/connect-query";
import { createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { AppProvider } from "../api/AppContext";
import { SessionStore } from "../api/session";
import { ToastProvider } from "../components/Toasts";
import { newQueryClient } from "../App";

/** LocationProbe renders the current URL so tests can assert on it. */
function LocationProbe() {
  const l = useLocation();
  return <output data-testid="location">{l.pathname + l.search}</output>;
}

/**
 * renderPage renders a page at url with the given fake services (an in-memory Connect
 * router, so the generated clients and connect-query run for real), signed in.
 */
export function renderPage(page: ReactNode, { url = "/", path = "/", routes }: { url?: string; path?: string; routes: (r: ConnectRouter) => void }) {
  const transport = createRouterTransport(routes);
  const session = new SessionStore(localStorage, async () => {
    throw new Error("no refresh in tests");
  }, Date.now, undefined);
  session.set({ accessToken: "a", accessExpiresAt: Date.now() + 600_000, refreshToken: "r", refreshExpiresAt: Date.now() + 86400_000 });
  const qc = newQueryClient();
  qc.setDefaultOptions({ queries: { retry: false, staleTime: 0 } });
  return render(
    <AppProvider app={{ session, transport, baseUrl: "http://test" }}>
      <TransportProvider transport={transport}>
        <QueryClientProvider client={qc}>
          <MemoryRouter initialEntries={[url]}>
            <ToastProvider>
              <Routes>
                <Route path={path} element={page} />
                <Route path="*" element={<p>elsewhere</p>} />
              </Routes>
              <LocationProbe />
            </ToastProvider>
          </MemoryRouter>
        </QueryClientProvider>
      </TransportProvider>
    </AppProvider>,
  );
}
