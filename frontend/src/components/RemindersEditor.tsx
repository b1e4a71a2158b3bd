import { useId } from "react";
import { newKey, type ReminderDraft, type ReminderUnit } from "../forms/taskDraft";
import { FieldError } from "./Status";

type Props = {
  reminders: ReminderDraft[];
  hasDue: boolean;
  defaultAt: string;
  onChange: (r: ReminderDraft[]) => void;
  errorAt: (i: number) => string | undefined;
  error?: string;
};

export const MAX_REMINDERS = 10;

/** RemindersEditor: several reminders, each at a date and time or N minutes/hours/days before the due time. */
export function RemindersEditor({ reminders, hasDue, defaultAt, onChange, errorAt, error }: Props) {
  const id = useId();
  const set = (i: number, r: ReminderDraft) => onChange(reminders.map((x, j) => (j === i ? r : x)));
  return (
    <fieldset className="field reminders">
      <legend>Reminders</legend>
      {reminders.length === 0 && <p className="hint">No reminders.</p>}
      <ol className="reminder-list">
        {reminders.map((r, i) => {
          const err = errorAt(i);
          const errId = `${id}-${r.key}-err`;
          return (
            <li key={r.key} className="reminder-row">
              <label className="visually-hidden" htmlFor={`${id}-${r.key}-kind`}>
                Reminder {i + 1} type
              </label>
              <select
                id={`${id}-${r.key}-kind`}
                value={r.kind}
                onChange={(e) =>
                  set(i, e.target.value === "at" ? { key: r.key, kind: "at", at: defaultAt } : { key: r.key, kind: "before", amount: 30, unit: "minutes" })
                }
              >
                <option value="before">Before due</option>
                <option value="at">At a time</option>
              </select>
              {r.kind === "at" ? (
                <>
                  <label className="visually-hidden" htmlFor={`${id}-${r.key}-at`}>
                    Reminder {i + 1} date and time
                  </label>
                  <input
                    id={`${id}-${r.key}-at`}
                    type="datetime-local"
                    value={r.at}
                    aria-invalid={err ? true : undefined}
                    aria-describedby={err ? errId : undefined}
                    onChange={(e) => set(i, { ...r, at: e.target.value })}
                  />
                </>
              ) : (
                <>
                  <label className="visually-hidden" htmlFor={`${id}-${r.key}-amount`}>
                    Reminder {i + 1} amount
                  </label>
                  <input
                    id={`${id}-${r.key}-amount`}
                    type="number"
                    min={0}
                    className="narrow"
                    value={r.amount}
                    aria-invalid={err ? true : undefined}
                    aria-describedby={err ? errId : undefined}
                    onChange={(e) => set(i, { ...r, amount: Math.max(0, Number(e.target.value) || 0) })}
                  />
                  <label className="visually-hidden" htmlFor={`${id}-${r.key}-unit`}>
                    Reminder {i + 1} unit
                  </label>
                  <select id={`${id}-${r.key}-unit`} value={r.unit} onChange={(e) => set(i, { ...r, unit: e.target.value as ReminderUnit })}>
                    <option value="minutes">minutes before</option>
                    <option value="hours">hours before</option>
                    <option value="days">days before</option>
                  </select>
                </>
              )}
              <button type="button" className="icon-button" aria-label={`Remove reminder ${i + 1}`} onClick={() => onChange(reminders.filter((_, j) => j !== i))}>
                ×
              </button>
              <FieldError id={errId} message={err} />
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        className="button"
        disabled={reminders.length >= MAX_REMINDERS}
        onClick={() =>
          onChange([...reminders, hasDue ? { key: newKey(), kind: "before", amount: 30, unit: "minutes" } : { key: newKey(), kind: "at", at: defaultAt }])
        }
      >
        + Add reminder
      </button>
      <FieldError id={`${id}-err`} message={error} />
    </fieldset>
  );
}
