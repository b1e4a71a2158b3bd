import { useId, type ReactElement, cloneElement, type ReactNode } from "react";
import { FieldError } from "../components/Status";

type Props = {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  /** One input, select or textarea; it gets the id, aria-invalid and aria-describedby. */
  children: ReactElement<Record<string, unknown>>;
  className?: string;
};

/** Field is a labelled form control with its hint and its error right under it. */
export function Field({ label, error, hint, children, className }: Props) {
  const id = useId();
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [error ? errId : "", hint ? hintId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " has-error" : ""}${className ? " " + className : ""}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        "aria-invalid": error ? true : children.props["aria-invalid"],
        "aria-describedby": described ?? children.props["aria-describedby"],
      })}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      <FieldError id={errId} message={error} />
    </div>
  );
}
