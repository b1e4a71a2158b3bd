import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

/** Toast is a short message at the bottom of the screen, optionally with one action. */
export type Toast = {
  id: number;
  message: string;
  tone?: "info" | "success" | "error" | "reminder";
  action?: { label: string; run: () => void };
  /** How long it stays, in ms (default 6000; 0 keeps it until dismissed). */
  duration?: number;
};

type ToastApi = { show: (t: Omit<Toast, "id">) => number; dismiss: (id: number) => void };

const Ctx = createContext<ToastApi | null>(null);

/** useToasts returns show/dismiss for toasts. */
export function useToasts(): ToastApi {
  const api = useContext(Ctx);
  if (!api) throw new Error("useToasts outside ToastProvider");
  return api;
}

/** ToastProvider renders toasts in a polite live region so screen readers announce them. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const show = useCallback((t: Omit<Toast, "id">) => {
    const id = next.current++;
    setToasts((ts) => [...ts.slice(-4), { ...t, id }]);
    return id;
  }, []);
  const api = useMemo(() => ({ show, dismiss }), [show, dismiss]);
  return (
    <Ctx.Provider value={api}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onDismiss={() => dismiss(t.id)} />
        ))}
      </div>
    </Ctx.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: () => void }) {
  useEffect(() => {
    const d = toast.duration ?? 6000;
    if (d <= 0) return;
    const t = setTimeout(onDismiss, d);
    return () => clearTimeout(t);
  }, [toast.duration, onDismiss]);
  return (
    <div className={`toast toast-${toast.tone ?? "info"}`} data-testid="toast">
      <span className="toast-message">{toast.message}</span>
      {toast.action && (
        <button
          type="button"
          className="link-button"
          onClick={() => {
            toast.action!.run();
            onDismiss();
          }}
        >
          {toast.action.label}
        </button>
      )}
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
