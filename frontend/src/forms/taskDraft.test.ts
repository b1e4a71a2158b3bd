import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { CreateTaskRequestSchema, Frequency, Priority, Weekday } from "../gen/taskmesh/task/v1/task_pb";
import { changedPaths, defaultRecurrence, draftFromTask, emptyDraft, newKey, taskFromDraft, type TaskDraft } from "./taskDraft";
import { validateMessage } from "./validate";

const tz = "Europe/Paris";

function fullDraft(): TaskDraft {
  return {
    ...emptyDraft(),
    title: "Pay rent",
    description: "before the 5th",
    priority: Priority.HIGH,
    tagIds: ["6f1c3a9e-1111-4b22-8c33-444455556666"],
    dueKind: "datetime",
    dueDate: "2026-12-01",
    dueTime: "09:00",
    reminders: [
      { key: newKey(), kind: "before", amount: 2, unit: "days" },
      { key: newKey(), kind: "at", at: "2026-11-30T18:30" },
    ],
    recurrence: { ...defaultRecurrence(), frequency: Frequency.MONTHLY, monthDay: "nth", nthN: -1, nthWeekday: Weekday.FRIDAY, end: "count", count: 12 },
  };
}

describe("taskFromDraft", () => {
  it("builds every field, times read in the user's zone", () => {
    const { task, errors } = taskFromDraft(fullDraft(), tz);
    expect(errors).toEqual({});
    expect(task.due?.kind.case).toBe("at");
    expect(timestampDate(task.due!.kind.value as never).toISOString()).toBe("2026-12-01T08:00:00.000Z");
    expect(task.reminders[0].when.case).toBe("beforeDue");
    expect(Number((task.reminders[0].when.value as { seconds: bigint }).seconds)).toBe(2 * 86400);
    expect(timestampDate(task.reminders[1].when.value as never).toISOString()).toBe("2026-11-30T17:30:00.000Z");
    expect(task.recurrence?.monthDay).toEqual({ case: "nthWeekday", value: expect.objectContaining({ n: -1, weekday: Weekday.FRIDAY }) });
    expect(task.recurrence?.end).toEqual({ case: "count", value: 12 });
  });

  it("round-trips through draftFromTask", () => {
    const d = fullDraft();
    const back = draftFromTask(taskFromDraft(d, tz).task, tz);
    expect(changedPaths(d, back)).toEqual([]);
  });

  it("says what the form is missing under the server's field paths", () => {
    const d = { ...fullDraft(), dueKind: "none" as const };
    const { errors } = taskFromDraft(d, tz);
    expect(errors["task.reminders[0]"]).toMatch(/needs a due date/);
    expect(errors["task.recurrence"]).toMatch(/needs a due date/);
  });
});

describe("changedPaths", () => {
  it("names only the fields that changed", () => {
    const d = fullDraft();
    expect(changedPaths(d, { ...d, title: "x", tagIds: [...d.tagIds].reverse() })).toEqual(["title"]);
    expect(changedPaths(d, { ...d, dueTime: "10:00" })).toEqual(["due"]);
    expect(changedPaths(d, { ...d, reminders: d.reminders.slice(1) })).toEqual(["reminders"]);
    expect(changedPaths(d, { ...d, recurrence: null })).toEqual(["recurrence"]);
  });
});

describe("validateMessage (protovalidate, the server's rules)", () => {
  it("reports a blank title and too many reminders by field path", () => {
    const { task } = taskFromDraft({ ...fullDraft(), title: "   " }, tz);
    const errs = validateMessage(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task }));
    expect(errs["task.title"]).toBe("title must not be blank");
  });

  it("reports a title of invisible characters (zero-width space, BOM) as blank, as the server does", () => {
    const { task } = taskFromDraft({ ...fullDraft(), title: "\u200b\ufeff\u200d" }, tz);
    const errs = validateMessage(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task }));
    expect(errs["task.title"]).toBe("title must not be blank");
  });

  it("accepts a complete task", () => {
    const { task } = taskFromDraft(fullDraft(), tz);
    expect(validateMessage(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task }))).toEqual({});
  });

  it("checks the recurrence interval range", () => {
    const d = fullDraft();
    d.recurrence!.interval = 0;
    const { task } = taskFromDraft(d, tz);
    const errs = validateMessage(CreateTaskRequestSchema, create(CreateTaskRequestSchema, { task }));
    expect(Object.keys(errs)).toContain("task.recurrence.interval");
  });
});
