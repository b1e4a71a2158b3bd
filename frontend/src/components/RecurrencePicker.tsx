import { useId } from "react";
import { Field } from "../forms/Field";
import { Frequency, RecurrenceAnchor, Weekday } from "../gen/taskmesh/task/v1/task_pb";
import { defaultRecurrence, type RecurrenceDraft } from "../forms/taskDraft";
import { monthNames, weekdayLong, weekdayShort } from "../tasks/recurrenceText";
import { FieldError } from "./Status";

type Props = {
  value: RecurrenceDraft | null;
  onChange: (r: RecurrenceDraft | null) => void;
  errorFor: (path: string) => string | undefined;
};

const weekdays = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY, Weekday.SUNDAY];
const unitWord: Record<number, string> = {
  [Frequency.DAILY]: "day(s)",
  [Frequency.WEEKLY]: "week(s)",
  [Frequency.MONTHLY]: "month(s)",
  [Frequency.YEARLY]: "year(s)",
};

/**
 * RecurrencePicker covers the whole rule: frequency and interval, weekdays, day of month
 * or nth weekday, month, end (never, on a date, after N times) and what the next
 * occurrence counts from.
 */
export function RecurrencePicker({ value, onChange, errorFor }: Props) {
  const id = useId();
  const r = value;
  const set = (patch: Partial<RecurrenceDraft>) => r && onChange({ ...r, ...patch });
  const base = "task.recurrence";
  return (
    <fieldset className="field recurrence">
      <legend>Repeat</legend>
      <label className="check-label">
        <input type="checkbox" checked={!!r} onChange={(e) => onChange(e.target.checked ? defaultRecurrence() : null)} />
        Repeat this task
      </label>
      <FieldError id={`${id}-err`} message={errorFor(base) && !r ? errorFor(base) : undefined} />
      {r && (
        <div className="recurrence-body">
          <div className="row wrap">
            <Field label="Every" className="compact">
              <input
                type="number"
                min={1}
                max={1000}
                className="narrow"
                value={r.interval}
                aria-invalid={errorFor(`${base}.interval`) ? true : undefined}
                onChange={(e) => set({ interval: Number(e.target.value) || 0 })}
              />
            </Field>
            <Field label="Unit" className="compact">
              <select value={r.frequency} onChange={(e) => set({ frequency: Number(e.target.value) as Frequency })}>
                <option value={Frequency.DAILY}>{unitWord[Frequency.DAILY]}</option>
                <option value={Frequency.WEEKLY}>{unitWord[Frequency.WEEKLY]}</option>
                <option value={Frequency.MONTHLY}>{unitWord[Frequency.MONTHLY]}</option>
                <option value={Frequency.YEARLY}>{unitWord[Frequency.YEARLY]}</option>
              </select>
            </Field>
          </div>
          <FieldError id={`${id}-interval`} message={errorFor(`${base}.interval`)} />

          {r.frequency === Frequency.WEEKLY && (
            <fieldset className="field">
              <legend>On</legend>
              <div className="chips">
                {weekdays.map((d) => (
                  <button
                    key={d}
                    type="button"
                    className="day-toggle"
                    aria-pressed={r.weekdays.includes(d)}
                    aria-label={weekdayLong[d]}
                    onClick={() => set({ weekdays: r.weekdays.includes(d) ? r.weekdays.filter((x) => x !== d) : [...r.weekdays, d] })}
                  >
                    {weekdayShort[d]}
                  </button>
                ))}
              </div>
              <p className="hint">None selected: the due date's weekday.</p>
            </fieldset>
          )}

          {r.frequency === Frequency.YEARLY && (
            <Field label="Month" className="compact">
              <select value={r.month} onChange={(e) => set({ month: Number(e.target.value) })}>
                <option value={0}>The due date's month</option>
                {monthNames.map((m, i) => (
                  <option key={m} value={i + 1}>
                    {m}
                  </option>
                ))}
              </select>
            </Field>
          )}

          {(r.frequency === Frequency.MONTHLY || r.frequency === Frequency.YEARLY) && (
            <fieldset className="field">
              <legend>Day of the month</legend>
              <label className="check-label">
                <input type="radio" name={`${id}-md`} checked={r.monthDay === "due"} onChange={() => set({ monthDay: "due" })} />
                The due date's day
              </label>
              <div className="row wrap">
                <label className="check-label">
                  <input type="radio" name={`${id}-md`} checked={r.monthDay === "day"} onChange={() => set({ monthDay: "day" })} />
                  Day
                </label>
                <label className="visually-hidden" htmlFor={`${id}-dom`}>
                  Day of month
                </label>
                <input
                  id={`${id}-dom`}
                  type="number"
                  min={1}
                  max={31}
                  className="narrow"
                  value={r.dayOfMonth}
                  disabled={r.monthDay !== "day"}
                  onChange={(e) => set({ dayOfMonth: Number(e.target.value) || 0 })}
                />
              </div>
              <div className="row wrap">
                <label className="check-label">
                  <input type="radio" name={`${id}-md`} checked={r.monthDay === "nth"} onChange={() => set({ monthDay: "nth" })} />
                  The
                </label>
                <label className="visually-hidden" htmlFor={`${id}-nth`}>
                  Which week
                </label>
                <select id={`${id}-nth`} value={r.nthN} disabled={r.monthDay !== "nth"} onChange={(e) => set({ nthN: Number(e.target.value) })}>
                  <option value={1}>first</option>
                  <option value={2}>second</option>
                  <option value={3}>third</option>
                  <option value={4}>fourth</option>
                  <option value={-1}>last</option>
                </select>
                <label className="visually-hidden" htmlFor={`${id}-nthwd`}>
                  Weekday
                </label>
                <select id={`${id}-nthwd`} value={r.nthWeekday} disabled={r.monthDay !== "nth"} onChange={(e) => set({ nthWeekday: Number(e.target.value) as Weekday })}>
                  {weekdays.map((d) => (
                    <option key={d} value={d}>
                      {weekdayLong[d]}
                    </option>
                  ))}
                </select>
              </div>
              <p className="hint">A day past the end of a shorter month falls on its last day.</p>
              <FieldError id={`${id}-md-err`} message={errorFor(`${base}.day_of_month`) ?? errorFor(`${base}.nth_weekday`)} />
            </fieldset>
          )}

          <fieldset className="field">
            <legend>Ends</legend>
            <label className="check-label">
              <input type="radio" name={`${id}-end`} checked={r.end === "never"} onChange={() => set({ end: "never" })} />
              Never
            </label>
            <div className="row wrap">
              <label className="check-label">
                <input type="radio" name={`${id}-end`} checked={r.end === "until"} onChange={() => set({ end: "until" })} />
                On
              </label>
              <label className="visually-hidden" htmlFor={`${id}-until`}>
                Last day
              </label>
              <input id={`${id}-until`} type="date" value={r.until} disabled={r.end !== "until"} onChange={(e) => set({ until: e.target.value })} />
            </div>
            <div className="row wrap">
              <label className="check-label">
                <input type="radio" name={`${id}-end`} checked={r.end === "count"} onChange={() => set({ end: "count" })} />
                After
              </label>
              <label className="visually-hidden" htmlFor={`${id}-count`}>
                Number of times
              </label>
              <input
                id={`${id}-count`}
                type="number"
                min={1}
                max={10000}
                className="narrow"
                value={r.count}
                disabled={r.end !== "count"}
                onChange={(e) => set({ count: Number(e.target.value) || 0 })}
              />
              <span>times</span>
            </div>
            <FieldError id={`${id}-end-err`} message={errorFor(`${base}.until`) ?? errorFor(`${base}.count`)} />
          </fieldset>

          <Field label="Next one counts from" className="compact">
            <select value={r.anchor} onChange={(e) => set({ anchor: Number(e.target.value) as RecurrenceAnchor })}>
              <option value={RecurrenceAnchor.DUE_DATE}>the due date</option>
              <option value={RecurrenceAnchor.COMPLETION_DATE}>the day I complete it</option>
            </select>
          </Field>
          <FieldError id={`${id}-rest`} message={errorFor(base)} />
        </div>
      )}
    </fieldset>
  );
}
