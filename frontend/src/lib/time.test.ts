import { describe, expect, it } from "vitest";
import { fromDateTimeInput, toDateInput, toDateTimeInput, zonedToInstant } from "./time";

describe("zonedToInstant", () => {
  it("reads a wall time in the given zone, not the browser's", () => {
    expect(zonedToInstant("2026-01-15", "09:30", "Europe/Paris").toISOString()).toBe("2026-01-15T08:30:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:30", "Europe/Paris").toISOString()).toBe("2026-07-15T07:30:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:30", "America/New_York").toISOString()).toBe("2026-07-15T13:30:00.000Z");
    expect(zonedToInstant("2026-07-15", "09:30", "UTC").toISOString()).toBe("2026-07-15T09:30:00.000Z");
  });

  it("moves a time skipped by a daylight-saving jump forward", () => {
    // Paris skips 02:00-03:00 on 2026-03-29.
    const d = zonedToInstant("2026-03-29", "02:30", "Europe/Paris");
    expect(toDateTimeInput(d, "Europe/Paris")).toBe("2026-03-29T03:30");
  });

  it("round-trips through the input format", () => {
    const d = fromDateTimeInput("2026-10-25T01:15", "Australia/Sydney");
    expect(toDateTimeInput(d, "Australia/Sydney")).toBe("2026-10-25T01:15");
  });
});

describe("toDateInput", () => {
  it("gives the calendar day in the zone", () => {
    const d = new Date("2026-05-01T23:30:00Z");
    expect(toDateInput(d, "UTC")).toBe("2026-05-01");
    expect(toDateInput(d, "Asia/Tokyo")).toBe("2026-05-02");
  });
});
