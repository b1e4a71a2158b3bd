import { useEffect, useId, useRef, type ReactNode } from "react";

type Props = {
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
};

/** ConfirmDialog asks before something that cannot be undone; Escape or Cancel closes it. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy }: Props) {
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onCancel();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      previous?.focus?.();
    };
  }, [onCancel]);
  return (
    <div className="modal-backdrop" onClick={onCancel}>
      <div className="modal" role="alertdialog" aria-modal="true" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`} onClick={(e) => e.stopPropagation()}>
        <h2 id={`${id}-t`}>{title}</h2>
        <div id={`${id}-d`}>{children}</div>
        <div className="form-actions">
          <button type="button" className="button danger" onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </button>
          <button ref={cancelRef} type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
