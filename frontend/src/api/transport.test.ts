import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { TaskService, ListTasksResponseSchema } from "../gen/taskmesh/task/v1/task_pb";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";
import { ViolationsSchema } from "../gen/buf/validate/validate_pb";
import { SessionStore, type StoredSession } from "./session";
import { authInterceptor } from "./transport";
import { serverFieldErrors, errorFor } from "./errors";

const fresh = (n: number): StoredSession => ({
  accessToken: `access-${n}`,
  accessExpiresAt: Date.now() + 15 * 60_000,
  refreshToken: `refresh-${n}`,
  refreshExpiresAt: Date.now() + 86400_000,
});

describe("authInterceptor", () => {
  it("sends the bearer token, and on Unauthenticated refreshes once and retries", async () => {
    const seen: string[] = [];
    const session = new SessionStore(localStorage, async () => fresh(2), Date.now, undefined);
    session.set(fresh(1));
    const transport = createRouterTransport(
      ({ service }) => {
        service(TaskService, {
          listTasks(_req, ctx) {
            const auth = ctx.requestHeader.get("Authorization") ?? "";
            seen.push(auth);
            if (auth !== "Bearer access-2") throw new ConnectError("expired", Code.Unauthenticated);
            return create(ListTasksResponseSchema, {});
          },
        });
      },
      { transport: { interceptors: [authInterceptor(session)] } },
    );
    await createClient(TaskService, transport).listTasks({});
    expect(seen).toEqual(["Bearer access-1", "Bearer access-2"]);
    expect(session.get()?.refreshToken).toBe("refresh-2");
  });

  it("sends no token to sign-in", async () => {
    const session = new SessionStore(localStorage, async () => fresh(2), Date.now, undefined);
    session.set(fresh(1));
    let header: string | null = "unset";
    const transport = createRouterTransport(
      ({ service }) => {
        service(AuthService, {
          signIn(_req, ctx) {
            header = ctx.requestHeader.get("Authorization");
            return {};
          },
        });
      },
      { transport: { interceptors: [authInterceptor(session)] } },
    );
    await createClient(AuthService, transport).signIn({ email: "a@b.c", password: "x" });
    expect(header).toBeNull();
  });
});

describe("serverFieldErrors", () => {
  it("reads buf.validate.Violations into field paths", () => {
    const err = new ConnectError("invalid", Code.InvalidArgument, undefined, [
      {
        desc: ViolationsSchema,
        value: {
          violations: [
            {
              message: "title must not be blank",
              field: { elements: [{ fieldName: "task" }, { fieldName: "title" }] },
            },
            {
              message: "must be before the due time",
              field: { elements: [{ fieldName: "task" }, { fieldName: "reminders", subscript: { case: "index", value: 1n } }, { fieldName: "at" }] },
            },
          ],
        },
      },
    ]);
    // Details arrive serialized over the wire; round-trip them like the transport does.
    const wire = ConnectError.from(err);
    const f = serverFieldErrors(wire);
    expect(f).toEqual({ "task.title": "title must not be blank", "task.reminders[1].at": "must be before the due time" });
    expect(errorFor(f, "task.reminders[1]")).toBe("must be before the due time");
    expect(errorFor(f, "task.reminders[0]")).toBeUndefined();
  });
});
