import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TaskSchema, type Task } from "../gen/taskmesh/task/v1/task_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";

let n = 0;
/** task makes a Task with sensible defaults. */
export function task(init: MessageInitShape<typeof TaskSchema> = {}): Task {
  n++;
  return create(TaskSchema, {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    title: `Task ${n}`,
    status: 1,
    version: 1n,
    changeSeq: BigInt(n),
    createdAt: timestampFromDate(new Date("2026-01-01T00:00:00Z")),
    ...init,
  });
}
