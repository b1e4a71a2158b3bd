import { describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "../gen/taskmesh/auth/v1/auth_pb";
import { TagService } from "../gen/taskmesh/task/v1/tag_pb";
import {
  ListTasksResponseSchema,
  Priority,
  TaskService,
  TaskSortField,
  type ListTasksRequest,
  type UpdateTaskRequest,
} from "../gen/taskmesh/task/v1/task_pb";
import { ViolationsSchema } from "../gen/buf/validate/validate_pb";
import { renderPage } from "../test/render";
import { task } from "../test/fixtures";
import { DashboardPage } from "./DashboardPage";
import { TaskEditorPage } from "./TaskEditorPage";
import { TagsPage } from "./TagsPage";
import type { ConnectRouter } from "@connectrpc/connect";

const me = (r: ConnectRouter) =>
  r.service(AuthService, { getMe: () => ({ user: { id: "u1", email: "a@b.c", displayName: "A", timeZone: "UTC" } }) });
const noTags = (r: ConnectRouter) => r.service(TagService, { listTags: () => ({ tags: [] }) });

describe("DashboardPage", () => {
  it("asks ListTasks for the filters and sort in the URL and lists the result", async () => {
    const requests: ListTasksRequest[] = [];
    renderPage(<DashboardPage />, {
      url: "/?q=milk&priority=high&status=pending&sort=title&dir=asc",
      routes: (r) => {
        me(r);
        noTags(r);
        r.service(TaskService, {
          listTasks(req) {
            requests.push(req);
            return create(ListTasksResponseSchema, { tasks: [task({ title: "Buy milk", priority: Priority.HIGH })] });
          },
        });
      },
    });
    await screen.findByText("Buy milk");
    const req = requests[0];
    expect(req.query).toBe("milk");
    expect(req.priorities).toEqual([Priority.HIGH]);
    expect(req.sortBy).toBe(TaskSortField.TITLE);
    expect(req.descending).toBe(false);
    expect((screen.getByLabelText("Search tasks") as HTMLInputElement).value).toBe("milk");
    expect((screen.getByLabelText("Sort by") as HTMLSelectElement).value).toBe("title");
  });

  it("puts a filter change in the URL", async () => {
    renderPage(<DashboardPage />, {
      routes: (r) => {
        me(r);
        noTags(r);
        r.service(TaskService, { listTasks: () => create(ListTasksResponseSchema, {}) });
      },
    });
    await screen.findByText("No tasks yet.");
    fireEvent.click(screen.getByLabelText("Overdue only"));
    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/?overdue=1"));
    await screen.findByText("No tasks match.");
  });

  it("keeps both of two quick filter changes", async () => {
    renderPage(<DashboardPage />, {
      routes: (r) => {
        me(r);
        noTags(r);
        r.service(TaskService, { listTasks: () => create(ListTasksResponseSchema, {}) });
      },
    });
    await screen.findByText("No tasks yet.");
    fireEvent.click(screen.getByLabelText("Overdue only"));
    fireEvent.click(screen.getByLabelText("High"));
    expect((screen.getByLabelText("High") as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/?priority=high&overdue=1"));
  });

  it("pages with the next page token", async () => {
    const tokens: string[] = [];
    renderPage(<DashboardPage />, {
      routes: (r) => {
        me(r);
        noTags(r);
        r.service(TaskService, {
          listTasks(req) {
            tokens.push(req.pageToken);
            return req.pageToken
              ? create(ListTasksResponseSchema, { tasks: [task({ title: "second page" })] })
              : create(ListTasksResponseSchema, { tasks: [task({ title: "first page" })], nextPageToken: "p2" });
          },
        });
      },
    });
    await screen.findByText("first page");
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("second page");
    expect(tokens).toEqual(["", "p2"]);
  });

  it("shows an error with a retry", async () => {
    renderPage(<DashboardPage />, {
      routes: (r) => {
        me(r);
        noTags(r);
        r.service(TaskService, {
          listTasks() {
            throw new ConnectError("down", Code.FailedPrecondition);
          },
        });
      },
    });
    expect((await screen.findByRole("alert")).textContent).toContain("down");
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
  });
});

describe("TaskEditorPage", () => {
  const editorRoutes = (extra: (r: ConnectRouter) => void) => (r: ConnectRouter) => {
    me(r);
    noTags(r);
    extra(r);
  };

  it("shows the protovalidate message next to the title before calling the server", async () => {
    let called = false;
    renderPage(<TaskEditorPage />, {
      url: "/tasks/new",
      path: "/tasks/new",
      routes: editorRoutes((r) =>
        r.service(TaskService, {
          createTask() {
            called = true;
            return {};
          },
        }),
      ),
    });
    const title = await screen.findByLabelText("Title");
    fireEvent.change(title, { target: { value: "   " } });
    fireEvent.click(screen.getByRole("button", { name: "Create task" }));
    await waitFor(() => expect(title.getAttribute("aria-invalid")).toBe("true"));
    const describedBy = title.getAttribute("aria-describedby")!;
    expect(document.getElementById(describedBy)!.textContent).toBe("title must not be blank");
    expect(called).toBe(false);
  });

  it("shows the server's field violation next to the reminder it names", async () => {
    renderPage(<TaskEditorPage />, {
      url: "/tasks/new",
      path: "/tasks/new",
      routes: editorRoutes((r) =>
        r.service(TaskService, {
          createTask() {
            throw new ConnectError("invalid", Code.InvalidArgument, undefined, [
              {
                desc: ViolationsSchema,
                value: {
                  violations: [
                    {
                      message: "reminder must not be after the due time",
                      field: { elements: [{ fieldName: "task" }, { fieldName: "reminders", subscript: { case: "index", value: 0n } }, { fieldName: "at" }] },
                    },
                  ],
                },
              },
            ]);
          },
        }),
      ),
    });
    fireEvent.change(await screen.findByLabelText("Title"), { target: { value: "Call mom" } });
    fireEvent.click(screen.getByRole("button", { name: "+ Add reminder" }));
    fireEvent.click(screen.getByRole("button", { name: "Create task" }));
    const row = (await screen.findByText("reminder must not be after the due time")).closest("li")!;
    expect(within(row).getByLabelText("Reminder 1 date and time").getAttribute("aria-invalid")).toBe("true");
  });

  it("tells the user about a version conflict and offers the fresh copy", async () => {
    const mine = task({ title: "Old title", version: 3n });
    const theirs = { ...mine, title: "Their title", version: 4n };
    const updates: UpdateTaskRequest[] = [];
    renderPage(<TaskEditorPage />, {
      url: `/tasks/${mine.id}`,
      path: "/tasks/:id",
      routes: editorRoutes((r) =>
        r.service(TaskService, {
          getTask: () => ({ task: updates.length ? theirs : mine }),
          updateTask(req) {
            updates.push(req);
            throw new ConnectError("version mismatch", Code.Aborted);
          },
        }),
      ),
    });
    const title = (await screen.findByLabelText("Title")) as HTMLInputElement;
    await waitFor(() => expect(title.value).toBe("Old title"));
    fireEvent.change(title, { target: { value: "My title" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByText(/changed somewhere else/);
    expect(updates[0].expectedVersion).toBe(3n);
    expect(updates[0].updateMask?.paths).toEqual(["title"]);
    fireEvent.click(await screen.findByRole("button", { name: "Load the latest version" }));
    await waitFor(() => expect(title.value).toBe("Their title"));
  });
});

describe("TagsPage", () => {
  it("shows a duplicate name next to the name field", async () => {
    renderPage(<TagsPage />, {
      url: "/tags",
      path: "/tags",
      routes: (r) => {
        me(r);
        r.service(TagService, {
          listTags: () => ({ tags: [{ id: "t1", name: "work", color: "#3B82F6", taskCount: 2 }] }),
          createTag() {
            throw new ConnectError("exists", Code.AlreadyExists);
          },
        });
      },
    });
    await screen.findByText("2 tasks");
    fireEvent.change(screen.getByLabelText("New tag name"), { target: { value: "Work" } });
    fireEvent.click(screen.getByRole("button", { name: "Create tag" }));
    expect(await screen.findByText("You already have a tag named “Work”.")).toBeTruthy();
    expect(screen.getByLabelText("New tag name").getAttribute("aria-invalid")).toBe("true");
  });

  it("asks before deleting a tag", async () => {
    let deleted = "";
    renderPage(<TagsPage />, {
      url: "/tags",
      path: "/tags",
      routes: (r) => {
        me(r);
        r.service(TagService, {
          listTags: () => ({ tags: deleted ? [] : [{ id: "t1", name: "work", color: "#3B82F6", taskCount: 1 }] }),
          deleteTag(req) {
            deleted = req.id;
            return {};
          },
        });
      },
    });
    fireEvent.click(await screen.findByRole("button", { name: "Delete tag work" }));
    const dialog = screen.getByRole("alertdialog");
    expect(dialog.textContent).toContain("It is taken off 1 task");
    fireEvent.click(within(dialog).getByRole("button", { name: "Delete tag" }));
    await screen.findByText("No tags yet.");
    expect(deleted).toBe("t1");
  });
});
