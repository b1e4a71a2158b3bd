import { describe, expect, it } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority, TaskSortField, TaskStatus } from "../gen/taskmesh/task/v1/task_pb";
import { defaultView, listRequest, paramsFromView, viewFromParams } from "./listParams";

describe("task list view in the URL", () => {
  it("leaves defaults out of the URL", () => {
    expect(paramsFromView(defaultView).toString()).toBe("");
    expect(viewFromParams(new URLSearchParams())).toEqual(defaultView);
  });

  it("round-trips every filter and the sort", () => {
    const view = {
      q: "milk",
      status: "pending" as const,
      priorities: ["high" as const, "low" as const],
      tags: ["6f1c3a9e-1111-4b22-8c33-444455556666"],
      dueFrom: "2026-01-01",
      dueTo: "2026-01-31",
      overdue: true,
      sort: "title" as const,
      desc: true,
    };
    const p = paramsFromView(view);
    expect(p.get("sort")).toBe("title");
    expect(p.get("dir")).toBe("desc");
    expect(viewFromParams(new URLSearchParams(p.toString()))).toEqual(view);
  });

  it("ignores values it does not know", () => {
    const v = viewFromParams(new URLSearchParams("status=nope&sort=bogus&priority=urgent,high&from=yesterday"));
    expect(v.status).toBe("all");
    expect(v.sort).toBe("created");
    expect(v.priorities).toEqual(["high"]);
    expect(v.dueFrom).toBe("");
  });

  it("maps the view onto ListTasks, reading the due range in the user's zone", () => {
    const req = listRequest(
      { ...defaultView, status: "completed", priorities: ["medium"], dueFrom: "2026-03-01", dueTo: "2026-03-01", sort: "due", desc: false },
      "Europe/Paris",
    );
    expect(req.status).toBe(TaskStatus.COMPLETED);
    expect(req.priorities).toEqual([Priority.MEDIUM]);
    expect(req.sortBy).toBe(TaskSortField.DUE);
    expect(req.descending).toBe(false);
    expect(timestampDate(req.dueAfter as never).toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(timestampDate(req.dueBefore as never).toISOString()).toBe("2026-03-01T23:00:00.000Z");
  });
});
