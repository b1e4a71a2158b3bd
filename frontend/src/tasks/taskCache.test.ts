import { describe, expect, it } from "vitest";
import { QueryClient, type InfiniteData } from "@tanstack/react-query";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { ListTasksResponseSchema, TaskService, TaskSortField, type ListTasksResponse } from "../gen/taskmesh/task/v1/task_pb";
import { task } from "../test/fixtures";
import { applyTask } from "./taskCache";

function seeded() {
  const qc = new QueryClient();
  const a = task({ title: "a", changeSeq: 5n, version: 2n });
  const b = task({ title: "b", changeSeq: 6n });
  const key = createConnectQueryKey({
    schema: TaskService.method.listTasks,
    input: { pageSize: 25, pageToken: "", sortBy: TaskSortField.CREATED_AT, descending: true },
    cardinality: "infinite",
    pageParamKey: "pageToken",
  });
  qc.setQueryData(key, { pages: [create(ListTasksResponseSchema, { tasks: [a, b] })], pageParams: [""] });
  const read = () => (qc.getQueryData(key) as InfiniteData<ListTasksResponse>).pages[0].tasks;
  return { qc, a, b, read };
}

describe("applyTask", () => {
  it("replaces a cached task with a newer copy", () => {
    const { qc, a, read } = seeded();
    applyTask(qc, { ...a, title: "a2", changeSeq: 9n, version: 3n }, { refetch: false });
    expect(read().map((t) => t.title)).toEqual(["a2", "b"]);
  });

  it("ignores an older or repeated copy", () => {
    const { qc, a, read } = seeded();
    applyTask(qc, { ...a, title: "old", changeSeq: 4n, version: 1n }, { refetch: false });
    expect(read()[0].title).toBe("a");
  });

  it("puts a new task at the top of a newest-first list", () => {
    const { qc, read } = seeded();
    applyTask(qc, task({ title: "new", createdAt: timestampNow() }), { refetch: false });
    expect(read().map((t) => t.title)).toEqual(["new", "a", "b"]);
  });

  it("removes a deleted task from the lists", () => {
    const { qc, b, read } = seeded();
    applyTask(qc, { ...b, deletedAt: timestampNow(), changeSeq: 10n }, { refetch: false });
    expect(read().map((t) => t.title)).toEqual(["a"]);
  });
});
