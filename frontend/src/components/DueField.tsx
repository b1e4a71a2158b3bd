import { useId } from "react";
import { Field } from "../forms/Field";
import type { TaskDraft } from "../forms/taskDraft";
import { FieldError } from "./Status";

type Props = {
  draft: Pick<TaskDraft, "dueKind" | "dueDate" | "dueTime">;
  tz: string;
  onChange: (patch: Partial<TaskDraft>) => void;
  error?: string;
};

/** DueField: no due date, a whole day, or a day and time (in the user's time zone). */
export function DueField({ draft, tz, onChange, error }: Props) {
  const id = useId();
  return (
    <fieldset className="field due-field" aria-describedby={error ? `${id}-err` : undefined}>
      <legend>Due</legend>
      <div className="inline-choices">
        {(
          [
            ["none", "No due date"],
            ["date", "Date"],
            ["datetime", "Date and time"],
          ] as const
        ).map(([k, label]) => (
          <label key={k} className="check-label">
            <input type="radio" name={`${id}-kind`} value={k} checked={draft.dueKind === k} onChange={() => onChange({ dueKind: k })} />
            {label}
          </label>
        ))}
      </div>
      {draft.dueKind !== "none" && (
        <div className="row">
          <Field label="Due date" className="compact">
            <input type="date" value={draft.dueDate} onChange={(e) => onChange({ dueDate: e.target.value })} aria-invalid={error ? true : undefined} />
          </Field>
          {draft.dueKind === "datetime" && (
            <Field label={<>Time ({tz})</>} className="compact">
              <input type="time" value={draft.dueTime} onChange={(e) => onChange({ dueTime: e.target.value })} />
            </Field>
          )}
        </div>
      )}
      <FieldError id={`${id}-err`} message={error} />
    </fieldset>
  );
}
