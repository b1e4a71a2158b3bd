import type { ReactNode } from "react";
import { messageOf } from "../api/errors";

/** Spinner says that something is loading (announced to screen readers). */
export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      {label}
    </div>
  );
}

/** ErrorMessage shows a failed call and, when given, a retry button. */
export function ErrorMessage({ error, retry, children }: { error: unknown; retry?: () => void; children?: ReactNode }) {
  return (
    <div className="error-box" role="alert">
      <span>{children ?? messageOf(error)}</span>
      {retry && (
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** EmptyState is what a list shows when it has nothing. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** FieldError is the message under a form field (its id goes in aria-describedby). */
export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id} role="alert">
      {message}
    </p>
  );
}
