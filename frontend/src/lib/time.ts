// Time-zone arithmetic with Intl only (no date library): the user's IANA time zone comes
// from their profile, which may differ from the browser's.

const partsCache = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(tz, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a time zone. */
export type WallTime = { year: number; month: number; day: number; hour: number; minute: number; second: number };

/** wallTime returns the calendar fields of instant d as seen in tz. */
export function wallTime(d: Date, tz: string): WallTime {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(d)) {
    if (p.type !== "literal") out[p.type] = Number(p.value);
  }
  return {
    year: out.year,
    month: out.month,
    day: out.day,
    hour: out.hour === 24 ? 0 : out.hour,
    minute: out.minute,
    second: out.second,
  };
}

/** isValidTimeZone reports whether the runtime knows tz. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function offsetMs(d: Date, tz: string): number {
  const w = wallTime(d, tz);
  const asUTC = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUTC - Math.floor(d.getTime() / 1000) * 1000;
}

/**
 * zonedToInstant turns a wall-clock date ("2026-03-29") and time ("09:30") in tz into an
 * instant ("HH:MM:SS" is read too). A time skipped by a daylight-saving jump moves forward; a repeated time takes
 * its first occurrence.
 */
export function zonedToInstant(date: string, time: string, tz: string): Date {
  const [y, mo, da] = date.split("-").map(Number);
  const [h, mi, sec = 0] = (time || "00:00").split(":").map(Number);
  const guess = Date.UTC(y, mo - 1, da, h, mi, sec);
  // Two passes settle the offset on both sides of a transition.
  let t = guess - offsetMs(new Date(guess), tz);
  t = guess - offsetMs(new Date(t), tz);
  return new Date(t);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** toDateInput is "YYYY-MM-DD" of instant d in tz (for <input type="date">). */
export function toDateInput(d: Date, tz: string): string {
  const w = wallTime(d, tz);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** toTimeInput is "HH:MM" of instant d in tz (for <input type="time">). */
export function toTimeInput(d: Date, tz: string): string {
  const w = wallTime(d, tz);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** toDateTimeInput is "YYYY-MM-DDTHH:MM" of d in tz (for <input type="datetime-local">). */
export function toDateTimeInput(d: Date, tz: string): string {
  return `${toDateInput(d, tz)}T${toTimeInput(d, tz)}`;
}

/** fromDateTimeInput reads "YYYY-MM-DDTHH:MM" as a wall time in tz. */
export function fromDateTimeInput(v: string, tz: string): Date {
  const [date, time] = v.split("T");
  return zonedToInstant(date, time ?? "00:00", tz);
}

/** dateInputString is "YYYY-MM-DD" for calendar fields. */
export function dateInputString(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** parseDateInput reads "YYYY-MM-DD" into calendar fields, or undefined. */
export function parseDateInput(v: string): { year: number; month: number; day: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return undefined;
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** formatInstant shows an instant in tz, for example "Mon, Mar 2, 09:30". */
export function formatInstant(d: Date, tz: string, withYear = false): string {
  return d.toLocaleString(undefined, {
    timeZone: tz,
    weekday: "short",
    month: "short",
    day: "numeric",
    year: withYear ? "numeric" : undefined,
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** formatCalendarDate shows a calendar date, for example "Mon, Mar 2, 2026". */
export function formatCalendarDate(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day, 12)).toLocaleDateString(undefined, {
    timeZone: "UTC",
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
  });
}

/** browserTimeZone is the browser's own IANA zone ("UTC" when unknown). */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** timeZones lists the IANA zones the browser knows (UTC first). */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const list = intl.supportedValuesOf?.("timeZone") ?? [];
  return ["UTC", ...list.filter((z) => z !== "UTC")];
}
